using ConOps.Agent.Docker;

namespace ConOps.Agent.Reconcile;

/// <summary>
/// One managed container as the agent sees it: the list call's labels and state, plus what a (cached) inspect
/// adds: exit code, OOM kill, and the live fields that differ from the desired ones.
/// </summary>
public sealed record ObservedContainer(
    string Id,
    string Name,
    string App,
    string Service,
    string ConfigHash,
    string Revision,
    string Image,
    string State,
    string Status)
{
    /// <summary>The <c>conops.config-inputs</c> label: short per-field hashes of the spec it was created from.</summary>
    public string ConfigInputs { get; init; } = "";

    /// <summary>The replica number (<c>com.docker.compose.container-number</c>; 1 when missing).</summary>
    public int Number { get; init; } = 1;

    /// <summary>The engine's image id (<c>sha256:...</c> of the image config).</summary>
    public string ImageId { get; init; } = "";

    /// <summary>The registry digest of the image it runs, when the engine knows one.</summary>
    public string ImageDigest { get; init; } = "";

    public long ExitCode { get; init; }

    public bool OomKilled { get; init; }

    /// <summary>Restarts the engine itself did (restart policy).</summary>
    public long EngineRestarts { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>Live fields ConOps controls that differ from the desired spec, e.g. "resources.memory", "restart".</summary>
    public IReadOnlyList<string> LiveDrift { get; init; } = [];

    /// <summary>For each field in <see cref="LiveDrift"/>, what the live container has (names only for environment and labels).</summary>
    public IReadOnlyDictionary<string, string> LiveValues { get; init; } = LiveDriftFindings.None.LiveValues;

    public bool IsRunning => State == "running";

    /// <summary>Health from the inspect, when there was one: "healthy", "unhealthy", "starting" or "".</summary>
    public string? InspectedHealth { get; init; }

    /// <summary>Health as the engine reports it: "healthy", "unhealthy", "starting" or "" without a healthcheck.</summary>
    public string Health => InspectedHealth ??
        (Status.Contains("(unhealthy)", StringComparison.Ordinal) ? "unhealthy"
        : Status.Contains("(health: starting)", StringComparison.Ordinal) ? "starting"
        : Status.Contains("(healthy)", StringComparison.Ordinal) ? "healthy"
        : "");

    public static ObservedContainer From(ContainerSummary c)
    {
        string Label(string key) => c.Labels is not null && c.Labels.TryGetValue(key, out var v) ? v : "";
        return new ObservedContainer(
            c.Id,
            c.Names.FirstOrDefault()?.TrimStart('/') ?? c.Id,
            Label(ManagedLabels.App),
            Label(ManagedLabels.Service),
            Label(ManagedLabels.ConfigHash),
            Label(ManagedLabels.Revision),
            c.Image,
            c.State,
            c.Status)
        {
            ConfigInputs = Label(ManagedLabels.ConfigInputs),
            Number = int.TryParse(Label(ManagedLabels.ComposeContainerNumber), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number) && number > 0 ? number : 1,
            ImageId = c.ImageId ?? "",
        };
    }
}
