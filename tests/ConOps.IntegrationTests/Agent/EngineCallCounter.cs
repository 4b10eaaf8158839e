using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ConOps.IntegrationTests.Agent;

/// <summary>
/// A loopback TCP proxy in front of the engine's unix socket that counts the HTTP requests passing through,
/// so tests and benchmarks measure the agent's engine calls on the wire rather than trusting the agent. It can
/// also cut the agent off the engine as an engine restart does (open connections, the event stream among
/// them, drop; new ones fail) and let it back, without restarting an engine other tests share.
/// </summary>
public sealed class EngineCallCounter : IAsyncDisposable
{
    private static readonly string[] Methods = ["GET /", "POST /", "PUT /", "DELETE /", "HEAD /"];
    private readonly TcpListener _listener;
    private readonly string _socketPath;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private long _requests;
    private volatile bool _cutOff;
    private CancellationTokenSource _connections = new();

    public EngineCallCounter(string dockerHost)
    {
        if (!dockerHost.StartsWith("unix://", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"The call counter proxies a unix socket; the engine is at {dockerHost}");
        }
        _socketPath = dockerHost["unix://".Length..];
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Endpoint = $"tcp://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
        _accepting = AcceptAsync();
    }

    /// <summary>Where the agent should connect instead of the engine.</summary>
    public string Endpoint { get; }

    public long Requests => Interlocked.Read(ref _requests);

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            if (_cutOff)
            {
                client.Client.Close(0); // reset: the engine is not there
                client.Dispose();
                continue;
            }
            _ = RelayAsync(client, _connections.Token);
        }
    }

    /// <summary>Drops every open connection and refuses new ones until <see cref="Restore"/>.</summary>
    public void CutOff()
    {
        _cutOff = true;
        var connections = _connections;
        _connections = new CancellationTokenSource();
        connections.Cancel();
        connections.Dispose();
    }

    public void Restore() => _cutOff = false;

    private async Task RelayAsync(TcpClient client, CancellationToken connection)
    {
        using var _ = client;
        using var engine = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await engine.ConnectAsync(new UnixDomainSocketEndPoint(_socketPath));
        await using var engineStream = new NetworkStream(engine, ownsSocket: false);
        var clientStream = client.GetStream();
        using var both = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, connection);
        var up = PumpAsync(clientStream, engineStream, count: true, both.Token);
        var down = PumpAsync(engineStream, clientStream, count: false, both.Token);
        await Task.WhenAny(up, down);
        if (connection.IsCancellationRequested)
        {
            client.Client.Close(0);
        }
    }

    private async Task PumpAsync(Stream from, Stream to, bool count, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        var atLineStart = true;
        var pending = new StringBuilder();
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, ct)) > 0)
            {
                if (count)
                {
                    for (var i = 0; i < read; i++)
                    {
                        var b = (char)buffer[i];
                        if (atLineStart && pending.Length < 8)
                        {
                            pending.Append(b);
                            var text = pending.ToString();
                            if (Methods.Any(m => m == text))
                            {
                                Interlocked.Increment(ref _requests);
                                atLineStart = false;
                            }
                            else if (!Methods.Any(m => m.StartsWith(text, StringComparison.Ordinal)))
                            {
                                atLineStart = false;
                            }
                        }
                        if (b == '\n')
                        {
                            atLineStart = true;
                            pending.Clear();
                        }
                    }
                }
                await to.WriteAsync(buffer.AsMemory(0, read), ct);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
        _connections.Dispose();
    }
}
