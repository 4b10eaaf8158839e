using ConOps.Contract;

namespace ConOps.Console.Compose;

/// <summary>
/// What to load. <paramref name="Files"/> are relative to the project directory and merged in order; empty means
/// the default file (compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml) plus its override file.
/// <paramref name="Variables"/> are the app's and the host's variables; they win over the project's .env file.
/// An empty <paramref name="ProjectName"/> takes the file's <c>name:</c> or the folder's name.
/// </summary>
public sealed record ComposeLoadRequest(
    string ProjectDirectory,
    IReadOnlyList<string> Files,
    IReadOnlyDictionary<string, string> Variables,
    IReadOnlyList<string> Profiles,
    string ProjectName)
{
    /// <summary>Variable files relative to the project directory; empty means <c>.env</c> when it exists.</summary>
    public IReadOnlyList<string> EnvFiles { get; init; } = [];

    /// <summary>The folder no path may leave (the repository checkout); the project directory when unset.</summary>
    public string? RootDirectory { get; init; }

    /// <summary>Opt-in: also read variables from this process's environment (above .env, below <see cref="Variables"/>).</summary>
    public bool UseProcessEnvironment { get; init; }
}

/// <summary>One normalized service, its config hash and the per-field hash inputs behind it.</summary>
public sealed record ComposeService(ServiceSpec Spec, string ConfigHash, IReadOnlyDictionary<string, string> HashInputs)
{
    public static ComposeService From(ServiceSpec spec)
    {
        var inputs = ConOps.Contract.ConfigHash.Inputs(spec);
        return new ComposeService(spec, ConOps.Contract.ConfigHash.FromInputs(inputs), inputs);
    }
}

/// <summary>
/// A compose project normalized into the contract's model: services (sorted by name) with their hashes, the
/// networks and volumes the services use, and the contents of the files they mount, by digest.
/// </summary>
public sealed record ComposeProject(
    string Name,
    IReadOnlyList<ComposeService> Services,
    IReadOnlyList<NetworkSpec> Networks,
    IReadOnlyList<VolumeSpec> Volumes,
    IReadOnlyList<FileContent> Files,
    IReadOnlyList<string> Warnings)
{
    /// <summary>The compose files that were read, relative to the project's root, in merge order.</summary>
    public IReadOnlyList<string> SourceFiles { get; init; } = [];
}

/// <summary>Bad compose input, with the place it was found.</summary>
public sealed class ComposeException(string message, string? file = null, int line = 0, int column = 0) : Exception(Format(message, file, line, column))
{
    public string Reason { get; } = message;

    public string? File { get; } = file;

    public int Line { get; } = line;

    public int Column { get; } = column;

    private static string Format(string message, string? file, int line, int column) =>
        file is null ? message : line > 0 ? $"{file}:{line}:{column}: {message}" : $"{file}: {message}";
}
