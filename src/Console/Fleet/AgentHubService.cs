using ConOps.Console.History;
using ConOps.Console.Logs;
using ConOps.Contract;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace ConOps.Console.Fleet;

/// <summary>
/// The console's end of the agent stream: checks the agent's credential, registers the session, sends the
/// host's desired state, and turns what the agent reports into fleet state, history and log batches. A host
/// that stays silent longer than the agent timeout is dropped and shown offline. Also serves enrollment.
/// </summary>
public sealed partial class AgentHubService(
    AgentSessions sessions,
    FleetState fleet,
    DesiredStatePublisher publisher,
    ReleaseLog releases,
    HostEnrollment enrollment,
    LogHub logs,
    IOptions<ConsoleOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<AgentHubService> log) : AgentHub.AgentHubBase
{
    public override async Task<EnrollResponse> Enroll(EnrollRequest request, ServerCallContext context)
    {
        var (host, credential) = await enrollment.EnrollAsync(request.JoinToken, request.AgentId, RemoteAddress(context), context.CancellationToken);
        return new EnrollResponse { HostName = host, Credential = credential };
    }

    public override async Task Connect(IAsyncStreamReader<AgentMessage> requestStream, IServerStreamWriter<ConsoleMessage> responseStream, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var host = await enrollment.AuthenticateAsync(context.RequestHeaders.GetValue("authorization"), RemoteAddress(context), ct);
        // Headers now tell the agent its credential was accepted (it resets its backoff on them).
        await context.WriteResponseHeadersAsync([]);
        if (!await requestStream.MoveNext(ct) || requestStream.Current.KindCase != AgentMessage.KindOneofCase.Hello)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "The first message of a session must be hello."));
        }
        // The credential says which host this is; the name the agent sends is informational.
        var hello = requestStream.Current.Hello;
        hello.HostName = host;

        using var session = sessions.Open(host);
        // Stopping ends every session at once: otherwise the open streams hold the shutdown for its whole timeout.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct, session.Closed, lifetime.ApplicationStopping);
        fleet.HostConnected(hello);
        LogConnected(host, hello.AgentVersion, hello.EngineVersion, hello.LastAppliedGeneration);

        var writing = WriteAsync(session, responseStream, stop.Token);
        try
        {
            await publisher.PublishAsync(host, stop.Token, hello.LastAppliedGeneration);
            while (await NextAsync(requestStream, stop.Token))
            {
                fleet.HostSeen(host);
                var message = requestStream.Current;
                switch (message.KindCase)
                {
                    case AgentMessage.KindOneofCase.Status:
                        fleet.ApplyStatus(host, message.Status);
                        break;
                    case AgentMessage.KindOneofCase.ApplyResult:
                        await releases.CompleteAsync(host, message.ApplyResult, stop.Token);
                        fleet.GenerationApplied(host, message.ApplyResult.Generation);
                        break;
                    case AgentMessage.KindOneofCase.LogChunk:
                        logs.OnChunk(session, message.LogChunk);
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // Timed out, revoked, replaced by a newer session of the same host, or the console is stopping.
        }
        finally
        {
            await stop.CancelAsync();
            logs.OnSessionEnded(session);
            if (sessions.Remove(session))
            {
                fleet.HostDisconnected(host);
                LogDisconnected(host);
            }
            try
            {
                await writing;
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private static string RemoteAddress(ServerCallContext context) =>
        context.GetHttpContext().Connection.RemoteIpAddress?.ToString() ?? context.Peer;

    /// <summary>Waits for the next agent message, but no longer than the agent timeout (heartbeats come every few seconds).</summary>
    private async Task<bool> NextAsync(IAsyncStreamReader<AgentMessage> stream, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.Value.AgentTimeout);
        return await stream.MoveNext(timeout.Token);
    }

    private static async Task WriteAsync(AgentSession session, IServerStreamWriter<ConsoleMessage> stream, CancellationToken ct)
    {
        await foreach (var message in session.Outbound.Reader.ReadAllAsync(ct))
        {
            await stream.WriteAsync(message, ct);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Agent for host {Host} connected (agent {AgentVersion}, engine {EngineVersion}, applied generation {Generation})")]
    private partial void LogConnected(string host, string agentVersion, string engineVersion, long generation);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent for host {Host} disconnected")]
    private partial void LogDisconnected(string host);
}
