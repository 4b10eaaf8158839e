using System.Threading.Channels;
using ConOps.Agent.Connection;
using ConOps.Contract;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace ConOps.Bench.Fleet;

/// <summary>
/// One simulated agent on the real protocol: its own TLS connection pinned to the console's certificate,
/// a real credential from a real enrollment, hello, a full snapshot, heartbeats, status changes on demand,
/// and (for the log benchmark) a log stream answered as fast as the stream takes it.
/// </summary>
public sealed class SimulatedAgent(string host, string credential, int services, string consoleUrl, string fingerprint, int logLines) : IAsyncDisposable
{
    public const int ServicesPerApp = 5;

    private readonly Channel<AgentMessage> _outgoing = Channel.CreateBounded<AgentMessage>(new BoundedChannelOptions(1024) { SingleReader = true });
    private readonly ServiceStatus[] _statuses = [.. Enumerable.Range(0, services).Select(i => new ServiceStatus
    {
        App = $"app-{i / ServicesPerApp}",
        Service = $"svc-{i % ServicesPerApp}",
        Sync = SyncStatus.Synced,
        Health = HealthStatus.Healthy,
        Reason = "running",
        Image = "registry.lan/bench:1",
        ConfigHash = "v1:sha256:" + new string('a', 64),
        Revision = "main@sha1:" + new string('b', 40),
        ContainerId = Guid.NewGuid().ToString("N"),
    })];
    private readonly CancellationTokenSource _stop = new();
    private ConsoleChannel? _channel;
    private Task? _running;

    public string Host { get; } = host;

    public int Services => _statuses.Length;

    public async Task ConnectAsync()
    {
        _channel = ConsoleChannel.Open(consoleUrl, fingerprint, allowPlaintext: false);
        var client = new AgentHub.AgentHubClient(_channel.Channel);
        var call = client.Connect(new Metadata { { "authorization", "Bearer " + credential } }, cancellationToken: _stop.Token);
        var hello = new Hello { AgentId = Host, HostName = Host, AgentVersion = "bench", EngineVersion = "20.10", EngineApiVersion = "1.41" };
        await call.RequestStream.WriteAsync(new AgentMessage { Hello = hello });
        var snapshot = new StatusReport { FullSnapshot = true };
        snapshot.Services.AddRange(_statuses.Select(s => s.Clone()));
        await call.RequestStream.WriteAsync(new AgentMessage { Status = snapshot });
        await call.ResponseHeadersAsync;
        _running = Task.WhenAll(WriteAsync(call), ReadAsync(call), HeartbeatAsync());
    }

    /// <summary>Flips one service between Healthy and Degraded with a reason that identifies this change.</summary>
    public (string App, string Service) Change(int index, string marker)
    {
        var status = _statuses[index].Clone();
        status.Health = status.Health == HealthStatus.Healthy ? HealthStatus.Degraded : HealthStatus.Healthy;
        status.Reason = marker;
        status.LastTransition = Timestamp.FromDateTime(DateTime.UtcNow);
        _statuses[index] = status;
        var report = new StatusReport();
        report.Services.Add(status);
        _outgoing.Writer.TryWrite(new AgentMessage { Status = report });
        return (status.App, status.Service);
    }

    private async Task WriteAsync(AsyncDuplexStreamingCall<AgentMessage, ConsoleMessage> call)
    {
        await foreach (var message in _outgoing.Reader.ReadAllAsync(_stop.Token))
        {
            await call.RequestStream.WriteAsync(message, _stop.Token);
        }
    }

    private async Task ReadAsync(AsyncDuplexStreamingCall<AgentMessage, ConsoleMessage> call)
    {
        await foreach (var message in call.ResponseStream.ReadAllAsync(_stop.Token))
        {
            if (message.KindCase == ConsoleMessage.KindOneofCase.LogRequest)
            {
                _ = StreamLogsAsync(message.LogRequest.StreamId);
            }
        }
    }

    private async Task StreamLogsAsync(long streamId)
    {
        var now = Timestamp.FromDateTime(DateTime.UtcNow);
        long number = 0;
        while (number < logLines)
        {
            var chunk = new LogChunk { StreamId = streamId };
            for (var i = 0; i < 2000 && number < logLines; i++)
            {
                number++;
                chunk.Lines.Add(new LogLine { LineNumber = number, Timestamp = now, Text = $"INFO request handled id={number} path=/api/items status=200 elapsed=3ms" });
            }
            await _outgoing.Writer.WriteAsync(new AgentMessage { LogChunk = chunk }, _stop.Token);
        }
        await _outgoing.Writer.WriteAsync(new AgentMessage { LogChunk = new LogChunk { StreamId = streamId, End = true } }, _stop.Token);
    }

    private async Task HeartbeatAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
        while (await timer.WaitForNextTickAsync(_stop.Token))
        {
            _outgoing.Writer.TryWrite(new AgentMessage { Heartbeat = new Heartbeat { SentAt = Timestamp.FromDateTime(DateTime.UtcNow) } });
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            if (_running is not null)
            {
                await _running;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or RpcException)
        {
        }
        _channel?.Dispose();
        _stop.Dispose();
    }
}
