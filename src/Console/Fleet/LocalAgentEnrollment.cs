using ConOps.Agent;
using ConOps.Agent.Connection;
using Microsoft.Extensions.Options;

namespace ConOps.Console.Fleet;

/// <summary>
/// All-in-one mode: before the in-process agent starts, make sure it holds a valid credential for its host
/// (written straight into its data directory, no join token needed). It dials the agent port over loopback
/// with TLS and pins the console's own certificate, so it takes exactly the path a remote agent takes.
/// </summary>
public sealed class LocalAgentEnrollment(HostEnrollment enrollment, IOptions<AgentOptions> agent) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        enrollment.EnsureLocalCredentialAsync(agent.Value.HostName, AgentCredentialFile.PathIn(agent.Value.DataDirectory), cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>After a restart, shows every host the console knows (offline until its agent reconnects).</summary>
public sealed class KnownHostsLoader(HostEnrollment enrollment, FleetState fleet) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var (host, state) in await enrollment.EnrollmentStatesAsync(cancellationToken))
        {
            if (!fleet.Hosts.Any(h => h.Name == host))
            {
                fleet.HostRegistered(host, state);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
