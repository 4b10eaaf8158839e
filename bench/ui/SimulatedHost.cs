using System.Threading.Channels;
using ConOps.Agent.Connection;
using ConOps.Contract;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace ConOps.Bench.Ui;

/// <summary>
/// One simulated agent on the real protocol (TLS pinned to the console's certificate, an enrolled credential):
/// hello, a full snapshot, heartbeats, status changes on demand, and log streams at a fixed line rate.
/// </summary>
public sealed class SimulatedHost(string host, string credential, int services, string consoleUrl, string fingerprint, int logLinesPerSecond) : IAsyncDisposable
{
    public const int ServicesPerApp = 5;

    private readonly Channel<AgentMessage> _outgoing = Channel.CreateBounded<AgentMessage>(new BoundedChannelOptions(4096) { SingleReader = true });
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
        StartedAt = Timestamp.FromDateTime(DateTime.UtcNow),
    })];
    private readonly CancellationTokenSource _stop = new();
    private ConsoleChannel? _channel;
    private Task? _running;

    public string Host { get; } = host;

    public async Task ConnectAsync()
    {
        _channel = ConsoleChannel.Open(consoleUrl, fingerprint, allowPlaintext: false);
        var call = new AgentHub.AgentHubClient(_channel.Channel).Connect(new Metadata { { "authorization", "Bearer " + credential } }, cancellationToken: _stop.Token);
        await call.RequestStream.WriteAsync(new AgentMessage { Hello = new Hello { AgentId = Host, HostName = Host, AgentVersion = "bench", EngineVersion = "20.10", EngineApiVersion = "1.41" } });
        var snapshot = new StatusReport { FullSnapshot = true };
        snapshot.Services.AddRange(_statuses.Select(s => s.Clone()));
        await call.RequestStream.WriteAsync(new AgentMessage { Status = snapshot });
        _running = Task.WhenAll(WriteAsync(call), ReadAsync(call), HeartbeatAsync());
    }

    /// <summary>Reports one service with the given health and a reason that identifies the change.</summary>
    public void Report(int index, HealthStatus health, string reason)
    {
        var status = _statuses[index].Clone();
        status.Health = health;
        status.Reason = reason;
        status.LastTransition = Timestamp.FromDateTime(DateTime.UtcNow);
        _statuses[index] = status;
        var report = new StatusReport();
        report.Services.Add(status);
        _outgoing.Writer.TryWrite(new AgentMessage { Status = report });
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
        var streams = new Dictionary<long, CancellationTokenSource>();
        await foreach (var message in call.ResponseStream.ReadAllAsync(_stop.Token))
        {
            if (message.KindCase == ConsoleMessage.KindOneofCase.LogRequest)
            {
                var cancel = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                streams[message.LogRequest.StreamId] = cancel;
                _ = StreamLogAsync(message.LogRequest, cancel.Token);
            }
            else if (message.KindCase == ConsoleMessage.KindOneofCase.LogCancel && streams.Remove(message.LogCancel.StreamId, out var cancel))
            {
                await cancel.CancelAsync();
            }
        }
    }

    // A chatty service: logLinesPerSecond lines in 10 chunks a second, with ANSI colours like real apps write.
    private async Task StreamLogAsync(LogRequest request, CancellationToken ct)
    {
        long number = 0;
        var perChunk = Math.Max(1, logLinesPerSecond / 10);
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        try
        {
            while (await tick.WaitForNextTickAsync(ct))
            {
                var chunk = new LogChunk { StreamId = request.StreamId };
                var now = Timestamp.FromDateTime(DateTime.UtcNow);
                for (var i = 0; i < perChunk; i++)
                {
                    number++;
                    chunk.Lines.Add(new LogLine
                    {
                        LineNumber = number,
                        Timestamp = now,
                        Text = $"\u001b[32mINFO\u001b[0m request {number} GET /api/items/{number % 977} 200 in {number % 37} ms user=bench trace={number:x12}",
                    });
                }
                await _outgoing.Writer.WriteAsync(new AgentMessage { LogChunk = chunk }, ct);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task HeartbeatAsync()
    {
        using var tick = new PeriodicTimer(TimeSpan.FromSeconds(5));
        while (await tick.WaitForNextTickAsync(_stop.Token))
        {
            _outgoing.Writer.TryWrite(new AgentMessage { Heartbeat = new Heartbeat { SentAt = Timestamp.FromDateTime(DateTime.UtcNow) } });
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_running is not null)
        {
            try
            {
                await _running;
            }
            catch (Exception ex) when (ex is OperationCanceledException or RpcException)
            {
            }
        }
        _channel?.Dispose();
        _stop.Dispose();
    }
}
