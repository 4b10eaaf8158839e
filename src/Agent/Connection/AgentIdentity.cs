using Microsoft.Extensions.Options;

namespace ConOps.Agent.Connection;

/// <summary>The agent's stable id, generated once and kept in the data directory.</summary>
public sealed class AgentIdentity
{
    public AgentIdentity(IOptions<AgentOptions> options)
    {
        var dir = options.Value.DataDirectory;
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "agent-id");
        if (File.Exists(path))
        {
            Id = File.ReadAllText(path).Trim();
        }
        if (string.IsNullOrEmpty(Id))
        {
            Id = Guid.NewGuid().ToString("N");
            File.WriteAllText(path, Id);
        }
        HostName = options.Value.HostName;
    }

    public string Id { get; } = "";

    public string HostName { get; }

    public static string Version { get; } =
        typeof(AgentIdentity).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
