namespace ConOps.IntegrationTests.Support;

/// <summary>
/// Where the real parts are. <c>scripts/testenv.sh up</c> starts them and writes <c>.conops/testenv.env</c>;
/// variables already set in the process environment win.
/// </summary>
public static class TestEnvironment
{
    private static readonly Lazy<Dictionary<string, string>> Values = new(Load);

    public static string RepoRoot { get; } = FindRepoRoot();

    public static string DockerHost => Get("CONOPS_TEST_DOCKER_HOST") ?? "unix:///var/run/docker.sock";

    public static string? Get(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : Values.Value.GetValueOrDefault(name);

    public static string Require(string name) =>
        Get(name) ?? throw new InvalidOperationException(
            $"{name} is not set. Start the test environment first: `sudo scripts/testenv.sh up` (it installs and starts every real part the tests use).");

    private static Dictionary<string, string> Load()
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var file = Path.Combine(RepoRoot, ".conops", "testenv.env");
        if (!File.Exists(file))
        {
            return values;
        }
        foreach (var raw in File.ReadAllLines(file))
        {
            var line = raw.Trim();
            if (line.StartsWith("export ", StringComparison.Ordinal))
            {
                line = line[7..];
            }
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && !line.StartsWith('#'))
            {
                values[line[..eq]] = line[(eq + 1)..].Trim('"', '\'');
            }
        }
        return values;
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ConOps.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("Cannot find the repository root (ConOps.sln) above " + AppContext.BaseDirectory);
    }
}
