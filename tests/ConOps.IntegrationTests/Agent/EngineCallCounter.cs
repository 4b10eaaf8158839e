using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ConOps.IntegrationTests.Agent;

/// <summary>
/// A loopback TCP proxy in front of the engine's unix socket that counts the HTTP requests passing through,
/// so tests and benchmarks measure the agent's engine calls on the wire rather than trusting the agent.
/// </summary>
public sealed class EngineCallCounter : IAsyncDisposable
{
    private static readonly string[] Methods = ["GET /", "POST /", "PUT /", "DELETE /", "HEAD /"];
    private readonly TcpListener _listener;
    private readonly string _socketPath;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private long _requests;

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
            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using var _ = client;
        using var engine = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await engine.ConnectAsync(new UnixDomainSocketEndPoint(_socketPath));
        await using var engineStream = new NetworkStream(engine, ownsSocket: false);
        var clientStream = client.GetStream();
        var up = PumpAsync(clientStream, engineStream, count: true);
        var down = PumpAsync(engineStream, clientStream, count: false);
        await Task.WhenAny(up, down);
    }

    private async Task PumpAsync(Stream from, Stream to, bool count)
    {
        var buffer = new byte[64 * 1024];
        var atLineStart = true;
        var pending = new StringBuilder();
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, _stop.Token)) > 0)
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
                await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
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
    }
}
