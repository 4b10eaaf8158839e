using ConOps.Console.Apps;
using ConOps.Console.Compose;

namespace ConOps.Console.Sync;

/// <summary>Reads an app's env files (KEY=VALUE lines) into interpolation variables; later files win.</summary>
public static class EnvFiles
{
    private const long MaxBytes = 256 * 1024;

    public static Dictionary<string, string> Read(string checkout, IEnumerable<string> files)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            if (AppDefinition.LeavesRepository(file))
            {
                throw new ComposeException($"env file '{file}' leaves the repository");
            }
            var path = Path.Combine(checkout, file);
            if (!File.Exists(path))
            {
                throw new ComposeException($"env file '{file}' not found in the app folder");
            }
            if (new FileInfo(path).Length > MaxBytes)
            {
                throw new ComposeException($"env file is larger than {MaxBytes / 1024} KiB", file);
            }
            Parse(File.ReadAllLines(path), file, variables);
        }
        return variables;
    }

    public static void Parse(IEnumerable<string> lines, string file, Dictionary<string, string> into)
    {
        var number = 0;
        foreach (var raw in lines)
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            if (line.StartsWith("export ", StringComparison.Ordinal))
            {
                line = line[7..].TrimStart();
            }
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new ComposeException($"expected KEY=VALUE, found '{line}'", file, number, 1);
            }
            var key = line[..eq].Trim();
            var value = line[(eq + 1)..].Trim();
            if (value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0])
            {
                value = value[1..^1];
                if (raw.TrimStart().Contains('"', StringComparison.Ordinal))
                {
                    value = value.Replace("\\n", "\n", StringComparison.Ordinal).Replace("\\\"", "\"", StringComparison.Ordinal);
                }
            }
            else
            {
                var comment = value.IndexOf(" #", StringComparison.Ordinal);
                if (comment >= 0)
                {
                    value = value[..comment].TrimEnd();
                }
            }
            into[key] = value;
        }
    }
}
