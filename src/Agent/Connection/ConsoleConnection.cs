using ConOps.Agent.Reconcile;
using ConOps.Contract;
using ConOps.Shared;
using Docker.DotNet;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;

namespace ConOps.Agent.Connection;

/// <summary>
/// Keeps one stream open to the console: dial out, say hello, send a full status snapshot, then relay
/// desired state down to the reconciler and the outbox up to the console. Reconnects with capped,
/// jittered exponential backoff; the reconciler keeps enforcing the last desired state meanwhile.
/// </summary>
public sealed partial class ConsoleConnection(
    IOptions<AgentOptions> options,
    AgentIdentity identity,
    DesiredStateStore desired,
    Reconciler reconciler,
    ServiceStatusBook statuses,
    AgentOutbox outbox,
    IDockerClient docker,
    TimeProvider time,
    ILogger<ConsoleConnection> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var attempt = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var connectedAt = time.GetTimestamp();
            try
            {
                await RunSessionAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogDisconnected(options.Value.ConsoleUrl, ex is RpcException rpc ? $"{rpc.StatusCode}: {rpc.Status.Detail}" : ex.Message);
            }
            // A session that lived a while was a success: start the backoff over.
            attempt = time.GetElapsedTime(connectedAt) > TimeSpan.FromSeconds(30) ? 0 : attempt + 1;
            var delay = Backoff(attempt, options.Value.MaxReconnectDelay);
            await Task.Delay(delay, time, stoppingToken);
        }
    }

    /// <summary>Full jitter: a random delay up to min(cap, 0.5 s * 2^attempt).</summary>
    public static TimeSpan Backoff(int attempt, TimeSpan cap)
    {
        var ceiling = Math.Min(cap.TotalMilliseconds, 500 * Math.Pow(2, Math.Min(attempt, 16)));
        return TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * ceiling);
    }

    private async Task RunSessionAsync(CancellationToken stoppingToken)
    {
        using var channel = GrpcChannel.ForAddress(options.Value.ConsoleUrl);
        var client = new AgentHub.AgentHubClient(channel);
        using var session = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        using var call = client.Connect(cancellationToken: session.Token);

        var version = await docker.System.GetVersionAsync(session.Token);
        var hello = new Hello
        {
            AgentId = identity.Id,
            HostName = identity.HostName,
            AgentVersion = AgentIdentity.Version,
            EngineVersion = version.Version,
            EngineApiVersion = version.APIVersion,
            LastAppliedGeneration = desired.Current.Generation,
        };
        hello.Capabilities.AddRange(["self-heal", "prune"]);
        await call.RequestStream.WriteAsync(new AgentMessage { Hello = hello }, session.Token);
        await call.RequestStream.WriteAsync(new AgentMessage { Status = statuses.Snapshot() }, session.Token);
        LogConnected(options.Value.ConsoleUrl, identity.HostName);
        Observability.AgentMetrics.ConsoleConnected(true);

        var sending = SendAsync(call.RequestStream, session.Token);
        try
        {
            await foreach (var message in call.ResponseStream.ReadAllAsync(session.Token))
            {
                switch (message.KindCase)
                {
                    case ConsoleMessage.KindOneofCase.DesiredState:
                        var state = message.DesiredState;
                        if (desired.TryReplace(state))
                        {
                            LogDesiredState(state.Generation, state.Apps.Count);
                            outbox.Post(new AgentMessage { Ack = new DesiredStateAck { Generation = state.Generation } });
                            reconciler.Enqueue(CoalescingQueue.AllApps);
                        }
                        break;
                    case ConsoleMessage.KindOneofCase.SyncNow:
                        reconciler.Enqueue(message.SyncNow.App, message.SyncNow.Force);
                        break;
                }
            }
        }
        finally
        {
            Observability.AgentMetrics.ConsoleConnected(false);
            await session.CancelAsync();
            try
            {
                await sending;
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private async Task SendAsync(IClientStreamWriter<AgentMessage> stream, CancellationToken ct)
    {
        using var heartbeat = new PeriodicTimer(options.Value.HeartbeatInterval, time);
        var nextBeat = heartbeat.WaitForNextTickAsync(ct).AsTask();
        while (!ct.IsCancellationRequested)
        {
            var nextMessage = outbox.Reader.WaitToReadAsync(ct).AsTask();
            var first = await Task.WhenAny(nextMessage, nextBeat);
            if (first == nextBeat)
            {
                await nextBeat;
                await stream.WriteAsync(new AgentMessage { Heartbeat = new Heartbeat { SentAt = Timestamp.FromDateTimeOffset(time.GetUtcNow()) } }, ct);
                nextBeat = heartbeat.WaitForNextTickAsync(ct).AsTask();
                continue;
            }
            await nextMessage;
            while (outbox.Reader.TryRead(out var message))
            {
                await stream.WriteAsync(message, ct);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Connected to console {Url} as host {Host}")]
    private partial void LogConnected(string url, string host);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection to console {Url} lost: {Reason}")]
    private partial void LogDisconnected(string url, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Received desired state generation {Generation} ({Apps} app(s))")]
    private partial void LogDesiredState(long generation, int apps);
}
