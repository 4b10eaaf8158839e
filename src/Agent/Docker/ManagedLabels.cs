namespace ConOps.Agent.Docker;

/// <summary>
/// The labels that make a host its own inventory: every container, network and volume ConOps creates
/// carries them, prune and drift detection work from them, and the Docker Compose ones make
/// <c>docker compose -p app ps</c> and <c>logs</c> work on a ConOps-managed app.
/// </summary>
public static class ManagedLabels
{
    public const string Manager = "conops.manager";
    public const string ManagerValue = "conops";
    public const string App = "conops.app";
    public const string Service = "conops.service";
    public const string ConfigHash = "conops.config-hash";
    public const string Revision = "conops.revision";

    /// <summary>Short per-field hashes of the spec, so a changed hash can be explained by field name from one list call.</summary>
    public const string ConfigInputs = "conops.config-inputs";

    public const string ComposeProject = "com.docker.compose.project";
    public const string ComposeService = "com.docker.compose.service";
    public const string ComposeContainerNumber = "com.docker.compose.container-number";
    public const string ComposeOneOff = "com.docker.compose.oneoff";
    public const string ComposeVersion = "com.docker.compose.version";
    public const string ComposeConfigHash = "com.docker.compose.config-hash";
    public const string ComposeWorkingDir = "com.docker.compose.project.working_dir";
    public const string ComposeConfigFiles = "com.docker.compose.project.config_files";
    public const string ComposeNetwork = "com.docker.compose.network";
    public const string ComposeVolume = "com.docker.compose.volume";
    public const string ComposeDependsOn = "com.docker.compose.depends_on";

    /// <summary>The Compose version ConOps writes into its labels (the format it is compatible with).</summary>
    public const string ComposeVersionValue = "1.29.2";

    /// <summary>The label filter that selects exactly the containers this agent manages.</summary>
    public const string ManagedFilter = Manager + "=" + ManagerValue;

    /// <summary>Compose-compatible container name: <c>&lt;app&gt;-&lt;service&gt;-&lt;number&gt;</c>.</summary>
    public static string ContainerName(string app, string service, int number = 1) =>
        $"{app}-{service}-{number.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>The name a replica of a service has: its fixed <c>container_name</c> (one replica only) or the Compose one.</summary>
    public static string ContainerName(string app, Contract.ServiceSpec spec, int number = 1) =>
        string.IsNullOrEmpty(spec.ContainerName) ? ContainerName(app, spec.Name, number) : spec.ContainerName;

    /// <summary>How many containers a service runs: <c>scale</c> / <c>deploy.replicas</c>, at least one.</summary>
    public static int Replicas(Contract.ServiceSpec spec) => Math.Max(1, spec.Scale);

    /// <summary>The labels every object ConOps creates for an app carries.</summary>
    public static Dictionary<string, string> ForApp(string app) => new(StringComparer.Ordinal)
    {
        [Manager] = ManagerValue,
        [App] = app,
        [ComposeProject] = app,
        [ComposeVersion] = ComposeVersionValue,
    };
}
