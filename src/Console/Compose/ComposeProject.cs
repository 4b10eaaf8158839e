using ConOps.Contract;

namespace ConOps.Console.Compose;

/// <summary>What to load: files (relative to the project directory) in merge order, and the variables for interpolation.</summary>
public sealed record ComposeLoadRequest(
    string ProjectDirectory,
    IReadOnlyList<string> Files,
    IReadOnlyDictionary<string, string> Variables,
    IReadOnlyList<string> Profiles,
    string ProjectName);

/// <summary>One normalized service, its config hash and the per-field hash inputs behind it.</summary>
public sealed record ComposeService(ServiceSpec Spec, string ConfigHash, IReadOnlyDictionary<string, string> HashInputs)
{
    public static ComposeService From(ServiceSpec spec)
    {
        var inputs = ConOps.Contract.ConfigHash.Inputs(spec);
        return new ComposeService(spec, ConOps.Contract.ConfigHash.FromInputs(inputs), inputs);
    }
}

/// <summary>A compose project normalized into the contract's model.</summary>
public sealed record ComposeProject(string Name, IReadOnlyList<ComposeService> Services, IReadOnlyList<string> Warnings);

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
