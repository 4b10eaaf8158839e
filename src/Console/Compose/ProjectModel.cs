using ConOps.Contract;

namespace ConOps.Console.Compose;

/// <summary>A top-level config or secret: its content (captured by digest when a service uses it) or an external one.</summary>
internal sealed record FileDefinition(string Name, bool External, byte[]? Content, string Origin, Node Where);

/// <summary>What services are read against: the project's name, variables, declared resources and files.</summary>
internal sealed class ProjectModel(string name, ProjectFiles files, Func<string, string?> lookup, List<string> warnings)
{
    public string Name { get; } = name;

    public ProjectFiles Files { get; } = files;

    public Func<string, string?> Lookup { get; } = lookup;

    public List<string> Warnings { get; } = warnings;

    public Dictionary<string, NetworkSpec> Networks { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, VolumeSpec> Volumes { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, FileDefinition> Configs { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, FileDefinition> Secrets { get; } = new(StringComparer.Ordinal);

    /// <summary>Services that run with the selected profiles.</summary>
    public HashSet<string> ActiveServices { get; } = new(StringComparer.Ordinal);

    /// <summary>Services left out because none of their profiles is selected, with those profiles.</summary>
    public Dictionary<string, IReadOnlyList<string>> InactiveServices { get; } = new(StringComparer.Ordinal);

    public HashSet<string> UsedNetworks { get; } = new(StringComparer.Ordinal);

    public HashSet<string> UsedVolumes { get; } = new(StringComparer.Ordinal);

    public void Warn(string warning)
    {
        if (!Warnings.Contains(warning))
        {
            Warnings.Add(warning);
        }
    }
}
