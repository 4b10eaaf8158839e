using System.Text.Json.Serialization;

namespace ConOps.Agent.Docker;

// The Docker Engine API objects the agent sends and reads, and only the fields it uses: the engine ignores
// what a request leaves out and the agent ignores what an answer adds. Names follow the Engine API; the engine
// (Go) matches JSON field names without regard to case, and reading is case-insensitive too, so "ID"/"Id" and
// "NanoCPUs"/"NanoCpus" are the same field on both sides.

/// <summary>The configuration part of a container (create request and inspect's <c>Config</c>).</summary>
public class ContainerConfig
{
    public string? Image { get; set; }

    public List<string>? Cmd { get; set; }

    public List<string>? Entrypoint { get; set; }

    public List<string>? Env { get; set; }

    public Dictionary<string, string>? Labels { get; set; }

    public Dictionary<string, EmptyObject>? ExposedPorts { get; set; }

    public string? User { get; set; }

    public string? WorkingDir { get; set; }

    public string? Hostname { get; set; }

    public string? Domainname { get; set; }

    public bool Tty { get; set; }

    public bool OpenStdin { get; set; }

    public string? StopSignal { get; set; }

    /// <summary>Seconds the engine waits after the stop signal before it kills.</summary>
    public int? StopTimeout { get; set; }

    public HealthConfig? Healthcheck { get; set; }
}

/// <summary>The body of <c>POST /containers/create</c>: the configuration, the host configuration and one endpoint.</summary>
public sealed class ContainerCreateRequest : ContainerConfig
{
    /// <summary>The container's name: sent as the <c>name</c> query parameter, not in the body.</summary>
    [JsonIgnore]
    public string Name { get; set; } = "";

    public HostConfig? HostConfig { get; set; }

    public NetworkingConfig? NetworkingConfig { get; set; }
}

/// <summary>The JSON <c>{}</c> the engine expects as the value of an exposed port.</summary>
public sealed class EmptyObject;

public sealed class HealthConfig
{
    public List<string>? Test { get; set; }

    /// <summary>Nanoseconds, as are the other durations.</summary>
    public long? Interval { get; set; }

    public long? Timeout { get; set; }

    public long? StartPeriod { get; set; }

    public long? StartInterval { get; set; }

    public int? Retries { get; set; }
}

public sealed class HostConfig
{
    public Dictionary<string, List<HostPortBinding>>? PortBindings { get; set; }

    public RestartPolicy? RestartPolicy { get; set; }

    public List<ContainerMount>? Mounts { get; set; }

    public List<string>? Binds { get; set; }

    public string? NetworkMode { get; set; }

    public List<string>? CapAdd { get; set; }

    public List<string>? CapDrop { get; set; }

    public bool Privileged { get; set; }

    public List<string>? SecurityOpt { get; set; }

    public List<HostDevice>? Devices { get; set; }

    public List<string>? Dns { get; set; }

    public List<string>? DnsSearch { get; set; }

    public List<string>? ExtraHosts { get; set; }

    public List<string>? GroupAdd { get; set; }

    public List<ResourceUlimit>? Ulimits { get; set; }

    public Dictionary<string, string>? Sysctls { get; set; }

    public LogConfig? LogConfig { get; set; }

    public bool? Init { get; set; }

    public bool ReadonlyRootfs { get; set; }

    public long ShmSize { get; set; }

    public string? PidMode { get; set; }

    public string? IpcMode { get; set; }

    public Dictionary<string, string>? Tmpfs { get; set; }

    public long NanoCpus { get; set; }

    public long Memory { get; set; }

    public long MemoryReservation { get; set; }

    public long MemorySwap { get; set; }

    public long? PidsLimit { get; set; }

    public long CpuShares { get; set; }

    public string? CpusetCpus { get; set; }
}

public sealed class HostPortBinding
{
    public string? HostIp { get; set; }

    public string? HostPort { get; set; }
}

/// <summary>Restart policy: <c>Name</c> is "no", "always", "unless-stopped" or "on-failure" ("" means "no").</summary>
public sealed class RestartPolicy
{
    public string? Name { get; set; }

    public long MaximumRetryCount { get; set; }
}

public sealed class ContainerMount
{
    public string? Type { get; set; }

    public string? Source { get; set; }

    public string? Target { get; set; }

    public bool ReadOnly { get; set; }

    public BindOptions? BindOptions { get; set; }

    public VolumeOptions? VolumeOptions { get; set; }

    public TmpfsOptions? TmpfsOptions { get; set; }
}

public sealed class BindOptions
{
    public string? Propagation { get; set; }
}

public sealed class VolumeOptions
{
    public bool NoCopy { get; set; }

    public string? Subpath { get; set; }
}

public sealed class TmpfsOptions
{
    public long SizeBytes { get; set; }

    public long Mode { get; set; }
}

public sealed class HostDevice
{
    public string? PathOnHost { get; set; }

    public string? PathInContainer { get; set; }

    public string? CgroupPermissions { get; set; }
}

public sealed class ResourceUlimit
{
    public string? Name { get; set; }

    public long Soft { get; set; }

    public long Hard { get; set; }
}

public sealed class LogConfig
{
    public string? Type { get; set; }

    public Dictionary<string, string>? Config { get; set; }
}

public sealed class NetworkingConfig
{
    public Dictionary<string, EndpointSettings>? EndpointsConfig { get; set; }
}

public sealed class EndpointSettings
{
    public List<string>? Aliases { get; set; }

    public string? MacAddress { get; set; }

    public EndpointIpamConfig? IPAMConfig { get; set; }
}

public sealed class EndpointIpamConfig
{
    public string? IPv4Address { get; set; }

    public string? IPv6Address { get; set; }
}

public sealed class ContainerCreateResponse
{
    public string Id { get; set; } = "";
}

/// <summary>One entry of <c>GET /containers/json</c>.</summary>
public sealed class ContainerSummary
{
    public string Id { get; set; } = "";

    public List<string> Names { get; set; } = [];

    public string Image { get; set; } = "";

    public string? ImageId { get; set; }

    public Dictionary<string, string>? Labels { get; set; }

    public string State { get; set; } = "";

    public string Status { get; set; } = "";
}

/// <summary><c>GET /containers/{id}/json</c>.</summary>
public sealed class ContainerInspectResponse
{
    public string Id { get; set; } = "";

    public string Name { get; set; } = "";

    /// <summary>The image id (<c>sha256:...</c>).</summary>
    public string Image { get; set; } = "";

    public long RestartCount { get; set; }

    public ContainerState? State { get; set; }

    public ContainerConfig? Config { get; set; }

    public HostConfig? HostConfig { get; set; }

    public List<MountPoint>? Mounts { get; set; }

    public NetworkSettings? NetworkSettings { get; set; }
}

public sealed class ContainerState
{
    public string? Status { get; set; }

    public bool Running { get; set; }

    public bool OOMKilled { get; set; }

    public long ExitCode { get; set; }

    public string? Error { get; set; }

    /// <summary>RFC 3339 with nanoseconds, as the engine writes it.</summary>
    public string? StartedAt { get; set; }

    public ContainerHealth? Health { get; set; }
}

public sealed class ContainerHealth
{
    public string? Status { get; set; }

    /// <summary>The last few probes, oldest first.</summary>
    public List<HealthProbe>? Log { get; set; }
}

public sealed class HealthProbe
{
    public long ExitCode { get; set; }

    public string? Output { get; set; }
}

public sealed class MountPoint
{
    public string? Type { get; set; }

    public string? Name { get; set; }

    public string? Source { get; set; }

    public string? Destination { get; set; }

    public bool RW { get; set; }
}

public sealed class NetworkSettings
{
    public Dictionary<string, EndpointSettings>? Networks { get; set; }
}

/// <summary><c>GET /images/{name}/json</c>.</summary>
public sealed class ImageInspectResponse
{
    public string Id { get; set; } = "";

    public List<string>? RepoDigests { get; set; }

    public ImageConfig? Config { get; set; }
}

public sealed class ImageConfig
{
    public List<string>? Env { get; set; }
}

/// <summary>One entry of <c>GET /networks</c>.</summary>
public sealed class NetworkSummary
{
    public string Id { get; set; } = "";

    public string Name { get; set; } = "";

    public Dictionary<string, string>? Labels { get; set; }
}

public sealed class NetworkCreateRequest
{
    public string Name { get; set; } = "";

    public string? Driver { get; set; }

    public Dictionary<string, string>? Options { get; set; }

    public bool Internal { get; set; }

    public bool Attachable { get; set; }

    public bool? EnableIPv6 { get; set; }

    public Dictionary<string, string>? Labels { get; set; }

    public Ipam? IPAM { get; set; }
}

public sealed class Ipam
{
    public string? Driver { get; set; }

    public List<IpamSubnet>? Config { get; set; }
}

public sealed class IpamSubnet
{
    public string? Subnet { get; set; }
}

public sealed class NetworkConnectRequest
{
    public string Container { get; set; } = "";

    public EndpointSettings? EndpointConfig { get; set; }
}

public sealed class VolumeCreateRequest
{
    public string Name { get; set; } = "";

    public string? Driver { get; set; }

    public Dictionary<string, string>? DriverOpts { get; set; }

    public Dictionary<string, string>? Labels { get; set; }
}

/// <summary>One object of the <c>GET /events</c> stream.</summary>
public sealed class EventMessage
{
    public string? Type { get; set; }

    public string? Action { get; set; }

    public EventActor? Actor { get; set; }
}

public sealed class EventActor
{
    public string? Id { get; set; }

    public Dictionary<string, string>? Attributes { get; set; }
}

/// <summary>One progress object of a pull (<c>POST /images/create</c>); a failure mid-stream arrives as one of these.</summary>
public sealed class PullProgress
{
    public string? Status { get; set; }

    public string? Error { get; set; }

    public PullError? ErrorDetail { get; set; }
}

public sealed class PullError
{
    public string? Message { get; set; }
}

/// <summary>The registry login handed to the engine for a pull, base64url-encoded in <c>X-Registry-Auth</c>.</summary>
public sealed class RegistryAuth
{
    [JsonPropertyName("username")]
    public string Username { get; set; } = "";

    [JsonPropertyName("password")]
    public string Password { get; set; } = "";

    [JsonPropertyName("serveraddress")]
    public string ServerAddress { get; set; } = "";
}

/// <summary><c>GET /version</c>.</summary>
public sealed class EngineVersion
{
    public string Version { get; set; } = "";

    public string ApiVersion { get; set; } = "";
}

/// <summary>The body of an engine error: <c>{"message": "..."}</c>.</summary>
public sealed class EngineErrorBody
{
    public string? Message { get; set; }
}

/// <summary>
/// Source-generated JSON for exactly these objects: Native AOT keeps the serialization code of what is listed
/// here and nothing else (a general-purpose client roots every model of the API).
/// </summary>
[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ContainerCreateRequest))]
[JsonSerializable(typeof(ContainerCreateResponse))]
[JsonSerializable(typeof(List<ContainerSummary>))]
[JsonSerializable(typeof(ContainerInspectResponse))]
[JsonSerializable(typeof(ImageInspectResponse))]
[JsonSerializable(typeof(List<NetworkSummary>))]
[JsonSerializable(typeof(NetworkCreateRequest))]
[JsonSerializable(typeof(NetworkConnectRequest))]
[JsonSerializable(typeof(VolumeCreateRequest))]
[JsonSerializable(typeof(EventMessage))]
[JsonSerializable(typeof(PullProgress))]
[JsonSerializable(typeof(RegistryAuth))]
[JsonSerializable(typeof(EngineVersion))]
[JsonSerializable(typeof(EngineErrorBody))]
[JsonSerializable(typeof(Dictionary<string, List<string>>))]
public sealed partial class EngineJson : JsonSerializerContext;
