using ConOps.Console.History;
using ConOps.Contract;
using Google.Protobuf;
using Microsoft.EntityFrameworkCore;

namespace ConOps.Console.Fleet;

/// <summary>
/// Assembles a host's desired state from the last good state of every app that targets it, gives it a new
/// generation when it really changed, and sends it to the host's agent if one is connected.
/// </summary>
public sealed class DesiredStatePublisher(IDbContextFactory<ConOpsDb> dbs, AgentSessions sessions, Sync.HostDesiredStates appStates, FleetState fleet) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>
    /// Returns the host's current generation and whether this call created it. The state is sent unless the
    /// agent already holds this generation (<paramref name="agentGeneration"/>, from its hello).
    /// </summary>
    public async Task<(long Generation, bool Changed)> PublishAsync(string host, CancellationToken ct, long? agentGeneration = null)
    {
        await _gate.WaitAsync(ct);
        try
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var state = new DesiredState();
            state.Apps.AddRange(await appStates.ForHostAsync(db, host, ct));
            var bytes = state.ToByteArray();

            var record = await db.Hosts.FindAsync([host], ct);
            if (record is null)
            {
                record = new HostRecord { Name = host };
                db.Hosts.Add(record);
            }
            var changed = record.DesiredState is null || !record.DesiredState.AsSpan().SequenceEqual(bytes);
            if (changed)
            {
                record.Generation++;
                record.DesiredState = bytes;
                await db.SaveChangesAsync(ct);
            }
            state.Generation = record.Generation;
            fleet.SetDesired(host, state.Apps);
            if (agentGeneration != record.Generation)
            {
                // Credentials travel to the agent but are never part of the stored (hashed, compared) state.
                await appStates.AttachCredentialsAsync(db, state, ct);
                sessions.Send(host, new ConsoleMessage { DesiredState = state });
            }
            return (record.Generation, changed);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();
}
