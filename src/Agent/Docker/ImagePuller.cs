using ConOps.Contract;
using ServiceSpec = ConOps.Contract.ServiceSpec;

namespace ConOps.Agent.Docker;

/// <summary>A pull that failed: the message is shown to the user as the service's reason.</summary>
public sealed class ImagePullException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Makes the image a service needs present on the engine, honouring <c>pull_policy</c>, pulling by the digest
/// the plan carries with the app's registry credentials.
/// </summary>
public sealed partial class ImagePuller(EngineClient engine, ILogger<ImagePuller> log)
{
    /// <summary>
    /// Ensures the image is present. Returns a warning when a local image is used because the registry could
    /// not be reached, otherwise null. Throws <see cref="ImagePullException"/> when the image cannot be had.
    /// </summary>
    public async Task<string?> EnsureAsync(AppDesiredState app, ServiceSpec spec, CancellationToken ct)
    {
        var image = ContainerDefinition.ImageToRun(spec);
        var policy = string.IsNullOrEmpty(spec.PullPolicy) ? "missing" : spec.PullPolicy;
        var present = await IsPresentAsync(image, ct);
        var pinned = !string.IsNullOrEmpty(spec.ImageDigest);

        switch (policy)
        {
            case "never":
                return present ? null : throw new ImagePullException($"image {image} is not on this host and pull_policy is never");
            case "missing" or "if_not_present" or "build":
                if (present)
                {
                    return null;
                }
                break;
            default:
                // "always", "daily", "weekly", "every_<duration>": pull when (re)creating, except that a digest
                // already present is exactly the bits the plan asks for.
                if (present && pinned)
                {
                    return null;
                }
                break;
        }

        try
        {
            await PullAsync(app, image, ct);
            return null;
        }
        catch (ImagePullException ex) when (present && IsUnreachable(ex.Message))
        {
            var warning = $"registry {ImageReference.Registry(image)} unreachable ({ex.Message}); using the local image {image}";
            LogUsingLocal(spec.Name, warning);
            return warning;
        }
    }

    private async Task<bool> IsPresentAsync(string image, CancellationToken ct)
    {
        try
        {
            await engine.InspectImageAsync(image, ct);
            return true;
        }
        catch (EngineException ex) when (ex.IsNotFound)
        {
            return false;
        }
    }

    private async Task PullAsync(AppDesiredState app, string image, CancellationToken ct)
    {
        var (fromImage, tag) = ImageReference.ForPull(image);
        var registry = ImageReference.Registry(image);
        var credential = app.RegistryCredentials.FirstOrDefault(c => ImageReference.SameRegistry(c.Server, registry));
        LogPulling(image, credential is null ? "anonymously" : $"as {credential.Username}");
        string? streamError;
        try
        {
            streamError = await engine.PullImageAsync(
                fromImage,
                tag,
                credential is null ? null : new RegistryAuth { Username = credential.Username, Password = credential.Password, ServerAddress = credential.Server },
                ct);
        }
        catch (EngineException ex)
        {
            throw new ImagePullException($"pull of {image} failed: {ex.Message}", ex);
        }
        if (streamError is not null)
        {
            throw new ImagePullException($"pull of {image} failed: {streamError}");
        }
        if (!await IsPresentAsync(image, ct))
        {
            // The engine said nothing wrong but has no image: never report such a pull as a success.
            throw new ImagePullException($"pull of {image} finished but the engine has no such image");
        }
    }

    private static bool IsUnreachable(string message) =>
        message.Contains("connection refused", StringComparison.OrdinalIgnoreCase)
        || message.Contains("no such host", StringComparison.OrdinalIgnoreCase)
        || message.Contains("i/o timeout", StringComparison.OrdinalIgnoreCase)
        || message.Contains("dial tcp", StringComparison.OrdinalIgnoreCase)
        || message.Contains("network is unreachable", StringComparison.OrdinalIgnoreCase)
        || message.Contains("TLS handshake timeout", StringComparison.OrdinalIgnoreCase);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pulling image {Image} {Identity}")]
    private partial void LogPulling(string image, string identity);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Service {Service}: {Warning}")]
    private partial void LogUsingLocal(string service, string warning);
}
