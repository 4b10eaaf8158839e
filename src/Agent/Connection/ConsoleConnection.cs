using ConOps.Agent.Docker;
using ConOps.Agent.Logs;
using ConOps.Agent.Reconcile;
using ConOps.Contract;
using ConOps.Shared;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace ConOps.Agent.Connection;

/// <summary>
/// Keeps one stream open to the console: enroll once if needed, dial out over TLS (pinning the console's
/// certificate), present the credential, say hello, send a full status snapshot, then relay desired state
/// down to the reconciler and status, results and log batches up to the console. Reconnects with capped,
/// jittered exponential backoff that starts over after every successful session; the reconciler keeps
/// enforcing the last desired state meanwhile.
/// </summary>
public sealed partial class ConsoleConnection(
    IOptions<AgentOptions> options,
    AgentIdentity identity,
    DesiredStateStore desired,
    Reconciler reconciler,
    ServiceStatusBook statuses,
    AgentOutbox outbox,
    LogStreams logs,
    EngineClient engine,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<ConsoleConnection> log) : BackgroundService
{
    /// <summary>First reconnect delay ceiling; it doubles per failed attempt up to the configured cap.</summary>
    public static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(250);

    private string CredentialPath => AgentCredentialFile.PathIn(options.Value.DataDirectory);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // In all-in-one mode the console's agent port opens only once the host has started.
        var started = new TaskCompletionSource();
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(stoppingToken);
        }
        var attempt = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var established = false;
            try
            {
                await RunSessionAsync(() => established = true, stoppingToken);
            }
            catch (RpcException rpc) when (!stoppingToken.IsCancellationRequested && rpc.StatusCode is StatusCode.Unauthenticated or StatusCode.PermissionDenied)
            {
                // The operator must act (new join token, un-revoke): keep trying, but only at the slowest pace.
                LogRefused(options.Value.ConsoleUrl, rpc.Status.Detail);
                attempt = 64;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogDisconnected(options.Value.ConsoleUrl, Describe(ex));
            }
            attempt = established ? 0 : attempt + 1;
            await Task.Delay(Backoff(attempt, options.Value.MaxReconnectDelay), time, stoppingToken);
        }
    }

    /// <summary>Full jitter: a random delay up to min(cap, 250 ms * 2^attempt). Attempt 0 (after a good session) retries almost at once.</summary>
    public static TimeSpan Backoff(int attempt, TimeSpan cap, double? random = null)
    {
        var ceiling = Math.Min(cap.TotalMilliseconds, FirstRetry.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 16)));
        return TimeSpan.FromMilliseconds((random ?? Random.Shared.NextDouble()) * ceiling);
    }

    private async Task RunSessionAsync(Action established, CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var stored = AgentCredentialFile.Read(CredentialPath);
        var fingerprint = settings.CertificateFingerprint.Length > 0 ? settings.CertificateFingerprint : stored?.CertificateFingerprint ?? "";
        using var channel = ConsoleChannel.Open(settings.ConsoleUrl, fingerprint, settings.AllowPlaintext);
        try
        {
            var client = new AgentHub.AgentHubClient(channel.Channel);
            var credential = stored ?? await EnrollAsync(client, fingerprint, stoppingToken);
            await StreamAsync(client, credential, established, stoppingToken);
        }
        catch (RpcException) when (channel.PinMismatch is { } actual)
        {
            throw new InvalidOperationException(
                $"The console's certificate (SHA-256 {actual}) does not match the pinned fingerprint {ConsoleChannel.NormalizeFingerprint(fingerprint)}. If the console's certificate was replaced, set ConOps:Agent:CertificateFingerprint to the new one.");
        }
    }

    private async Task<AgentCredential> EnrollAsync(AgentHub.AgentHubClient client, string fingerprint, CancellationToken ct)
    {
        var token = options.Value.JoinToken;
        if (string.IsNullOrWhiteSpace(token))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated,
                $"This agent is not enrolled: there is no credential in {CredentialPath} and ConOps:Agent:JoinToken is empty. Create the host in the console and run the join command it shows."));
        }
        var response = await client.EnrollAsync(new EnrollRequest { JoinToken = token.Trim(), AgentId = identity.Id, AgentVersion = AgentIdentity.Version }, deadline: time.GetUtcNow().UtcDateTime.AddSeconds(30), cancellationToken: ct);
        var credential = new AgentCredential(response.HostName, response.Credential, ConsoleChannel.NormalizeFingerprint(fingerprint));
        AgentCredentialFile.Write(CredentialPath, credential);
        LogEnrolled(response.HostName, CredentialPath);
        return credential;
    }

    private async Task StreamAsync(AgentHub.AgentHubClient client, AgentCredential credential, Action established, CancellationToken stoppingToken)
    {
        using var session = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var headers = new Metadata { { "authorization", "Bearer " + credential.Credential } };
        using var call = client.Connect(headers, cancellationToken: session.Token);

        var version = await engine.VersionAsync(session.Token);
        var hello = new Hello
        {
            AgentId = identity.Id,
            HostName = credential.HostName,
            AgentVersion = AgentIdentity.Version,
            EngineVersion = version.Version,
            EngineApiVersion = version.ApiVersion,
            LastAppliedGeneration = desired.Current.Generation,
        };
        hello.Capabilities.AddRange(["self-heal", "prune", "logs", "rotate-credential"]);
        await call.RequestStream.WriteAsync(new AgentMessage { Hello = hello }, session.Token);
        await call.RequestStream.WriteAsync(new AgentMessage { Status = statuses.Snapshot() }, session.Token);

        // The console sends headers once it accepted the credential: the session is good.
        await call.ResponseHeadersAsync;
        established();
        LogConnected(options.Value.ConsoleUrl, credential.HostName);
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
                    case ConsoleMessage.KindOneofCase.LogRequest:
                        logs.Start(message.LogRequest);
                        break;
                    case ConsoleMessage.KindOneofCase.LogCancel:
                        logs.Cancel(message.LogCancel.StreamId);
                        break;
                    case ConsoleMessage.KindOneofCase.RotateCredential:
                        AgentCredentialFile.Write(CredentialPath, credential with { Credential = message.RotateCredential.Credential });
                        LogRotated(credential.HostName);
                        // Reconnect with the new credential; the console retires the old one when it sees it.
                        return;
                }
            }
        }
        finally
        {
            Observability.AgentMetrics.ConsoleConnected(false);
            await session.CancelAsync();
            logs.CancelAll();
            try
            {
                await sending;
            }
            catch (OperationCanceledException)
            {
            }
            catch (RpcException)
            {
            }
        }
    }

    /// <summary>Status and apply results first, then log batches, heartbeats in between; one writer for the stream.</summary>
    private async Task SendAsync(IClientStreamWriter<AgentMessage> stream, CancellationToken ct)
    {
        using var heartbeat = new PeriodicTimer(options.Value.HeartbeatInterval, time);
        var nextBeat = heartbeat.WaitForNextTickAsync(ct).AsTask();
        var nextMessage = outbox.Reader.WaitToReadAsync(ct).AsTask();
        var nextLog = logs.Outgoing.WaitToReadAsync(ct).AsTask();
        while (!ct.IsCancellationRequested)
        {
            await Task.WhenAny(nextMessage, nextLog, nextBeat);
            if (nextBeat.IsCompleted)
            {
                await nextBeat;
                await stream.WriteAsync(new AgentMessage { Heartbeat = new Heartbeat { SentAt = Timestamp.FromDateTimeOffset(time.GetUtcNow()) } }, ct);
                nextBeat = heartbeat.WaitForNextTickAsync(ct).AsTask();
            }
            if (nextMessage.IsCompleted)
            {
                await nextMessage;
                while (outbox.Reader.TryRead(out var message))
                {
                    await stream.WriteAsync(message, ct);
                }
                nextMessage = outbox.Reader.WaitToReadAsync(ct).AsTask();
            }
            if (nextLog.IsCompleted)
            {
                await nextLog;
                // One batch at a time, so a status change waits for at most one batch.
                if (logs.Outgoing.TryRead(out var chunk))
                {
                    await stream.WriteAsync(chunk, ct);
                }
                nextLog = logs.Outgoing.WaitToReadAsync(ct).AsTask();
            }
        }
    }

    private static string Describe(Exception ex) => ex switch
    {
        RpcException rpc => $"{rpc.StatusCode}: {rpc.Status.Detail}",
        _ => ex.Message,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Connected to console {Url} as host {Host}")]
    private partial void LogConnected(string url, string host);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection to console {Url} lost: {Reason}")]
    private partial void LogDisconnected(string url, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "The console {Url} refused this agent: {Reason}")]
    private partial void LogRefused(string url, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Enrolled as host {Host}; credential stored in {Path}")]
    private partial void LogEnrolled(string host, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stored a rotated credential for host {Host}; reconnecting with it")]
    private partial void LogRotated(string host);

    [LoggerMessage(Level = LogLevel.Information, Message = "Received desired state generation {Generation} ({Apps} app(s))")]
    private partial void LogDesiredState(long generation, int apps);
}
