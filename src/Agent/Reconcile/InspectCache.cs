using System.Collections.Concurrent;
using ConOps.Agent.Docker;

namespace ConOps.Agent.Reconcile;

/// <summary>
/// Inspect results per container id, so a converged host costs one list call per reconcile rather than an
/// inspect per container. An entry is dropped when the engine reports an event for its container (update,
/// start, die, rename, ...), when the list shows a different state, and all of them when the event stream
/// reconnects (events may have been missed). Image inspects are kept by image id: an image id never changes
/// content.
/// </summary>
public sealed class InspectCache
{
    private const int MaxImages = 512;

    private readonly ConcurrentDictionary<string, CachedContainer> _containers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ImageInspectResponse> _images = new(StringComparer.Ordinal);

    public CachedContainer? Get(string id, string listState) =>
        _containers.TryGetValue(id, out var entry) && entry.ListState == listState ? entry : null;

    public void Put(string id, CachedContainer entry) => _containers[id] = entry;

    public void Invalidate(string id) => _containers.TryRemove(id, out _);

    public void Clear() => _containers.Clear();

    /// <summary>Forgets containers that no longer exist, keeping the cache bounded by what is on the host.</summary>
    public void Retain(IReadOnlySet<string> liveIds, string app)
    {
        foreach (var (id, entry) in _containers)
        {
            if (entry.App == app && !liveIds.Contains(id))
            {
                _containers.TryRemove(id, out _);
            }
        }
    }

    public ImageInspectResponse? Image(string imageId) => _images.GetValueOrDefault(imageId);

    public void PutImage(string imageId, ImageInspectResponse image)
    {
        if (_images.Count >= MaxImages)
        {
            _images.Clear();
        }
        _images[imageId] = image;
    }
}

/// <summary>One container's inspect, and the drift computed from it for a given desired hash.</summary>
public sealed class CachedContainer(string app, string listState, ContainerInspectResponse inspect)
{
    public string App { get; } = app;

    public string ListState { get; } = listState;

    public ContainerInspectResponse Inspect { get; } = inspect;

    /// <summary>The desired hash <see cref="Drift"/> was computed for.</summary>
    public string? DriftForHash { get; set; }

    public LiveDriftFindings Drift { get; set; } = LiveDriftFindings.None;
}
