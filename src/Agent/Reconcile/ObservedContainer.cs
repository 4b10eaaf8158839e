using ConOps.Agent.Docker;
using Docker.DotNet.Models;

namespace ConOps.Agent.Reconcile;

/// <summary>What one list call tells about a managed container: enough to plan without an inspect per container.</summary>
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
    public bool IsRunning => State == "running";

    public static ObservedContainer From(ContainerListResponse c)
    {
        string Label(string key) => c.Labels is not null && c.Labels.TryGetValue(key, out var v) ? v : "";
        return new ObservedContainer(
            c.ID,
            c.Names.FirstOrDefault()?.TrimStart('/') ?? c.ID,
            Label(ManagedLabels.App),
            Label(ManagedLabels.Service),
            Label(ManagedLabels.ConfigHash),
            Label(ManagedLabels.Revision),
            c.Image,
            c.State,
            c.Status);
    }
}
