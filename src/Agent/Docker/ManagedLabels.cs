namespace ConOps.Agent.Docker;

/// <summary>
/// The labels that make a host its own inventory: every container ConOps creates carries them, prune and
/// drift detection work from them, and the Docker Compose ones make <c>docker compose -p app ps</c> work.
/// </summary>
public static class ManagedLabels
{
    public const string Manager = "conops.manager";
    public const string ManagerValue = "conops";
    public const string App = "conops.app";
    public const string Service = "conops.service";
    public const string ConfigHash = "conops.config-hash";
    public const string Revision = "conops.revision";

    public const string ComposeProject = "com.docker.compose.project";
    public const string ComposeService = "com.docker.compose.service";
    public const string ComposeContainerNumber = "com.docker.compose.container-number";
    public const string ComposeOneOff = "com.docker.compose.oneoff";

    /// <summary>The label filter that selects exactly the containers this agent manages.</summary>
    public const string ManagedFilter = Manager + "=" + ManagerValue;

    /// <summary>Compose-compatible container name: <c>&lt;app&gt;-&lt;service&gt;-1</c>.</summary>
    public static string ContainerName(string app, string service) => $"{app}-{service}-1";
}
