namespace ConOps.Console;

/// <summary>Console settings, bound from <c>ConOps:Console</c>.</summary>
public sealed class ConsoleOptions
{
    public const string Section = "ConOps:Console";

    /// <summary>Where the browser UI and REST API listen (HTTP/1.1).</summary>
    public string UiUrl { get; set; } = "http://127.0.0.1:8080";

    /// <summary>Where agents connect (gRPC over TLS, HTTP/2 only). A separate port so the UI keeps HTTP/1.1 WebSockets.</summary>
    public string AgentUrl { get; set; } = "https://127.0.0.1:8081";

    /// <summary>Database, Git clones and checkouts live here.</summary>
    public string DataDirectory { get; set; } = ".conops/data";

    /// <summary>How often every app's branch is checked for new commits.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A host is offline when nothing arrived from its agent for this long.</summary>
    public TimeSpan AgentTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Creates the data directory, readable by the console's user only when it is new (it holds the database,
    /// the keys that decrypt its secrets and the agents' TLS key). An existing directory keeps its permissions.
    /// </summary>
    public static void EnsureDataDirectory(string path)
    {
        if (Directory.Exists(path))
        {
            return;
        }
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }
}
