using System.Text.RegularExpressions;

namespace ConOps.Console.Apps;

/// <summary>An app as declared in configuration (<c>ConOps:Apps</c>) or posted to <c>/api/apps</c>.</summary>
public sealed partial class AppDefinition
{
    public string Name { get; set; } = "";

    public string RepoUrl { get; set; } = "";

    public string Branch { get; set; } = "main";

    public string Path { get; set; } = ".";

    public List<string> Hosts { get; set; } = [];

    /// <summary>Problems a user must fix before the app can be saved; empty when valid.</summary>
    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!NamePattern().IsMatch(Name))
        {
            errors["name"] = ["Use 1-63 lower-case letters, digits, '-' or '_', starting with a letter or digit (it becomes the compose project name)."];
        }
        if (string.IsNullOrWhiteSpace(RepoUrl))
        {
            errors["repoUrl"] = ["Give the repository as a local path, file://, git://, http(s):// or ssh:// URL."];
        }
        if (string.IsNullOrWhiteSpace(Branch))
        {
            errors["branch"] = ["Give the branch to follow, e.g. main."];
        }
        if (Path.Split('/', '\\').Any(p => p == "..") || System.IO.Path.IsPathRooted(Path))
        {
            errors["path"] = ["The path must be a folder inside the repository, e.g. '.' or 'apps/web'."];
        }
        if (Hosts.Count == 0 || Hosts.Any(string.IsNullOrWhiteSpace))
        {
            errors["hosts"] = ["Name at least one host, e.g. [\"local\"]."];
        }
        return errors;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,62}$")]
    private static partial Regex NamePattern();
}
