using System.Collections.Concurrent;
using System.Threading.Channels;
using ConOps.Contract;

namespace ConOps.Console.Fleet;

/// <summary>One connected agent: a bounded outbound queue, so a slow agent never blocks the console.</summary>
public sealed class AgentSession(string host) : IDisposable
{
    private readonly CancellationTokenSource _closed = new();

    public string Host { get; } = host;

    // Desired state is a full replacement and sync requests are idempotent, so dropping the oldest under
    // pressure loses nothing that matters.
    public Channel<ConsoleMessage> Outbound { get; } = Channel.CreateBounded<ConsoleMessage>(
        new BoundedChannelOptions(64) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    public CancellationToken Closed => _closed.Token;

    public void Close() => _closed.Cancel();

    public void Dispose() => _closed.Dispose();
}

/// <summary>The currently connected agents, by host name.</summary>
public sealed class AgentSessions
{
    private readonly ConcurrentDictionary<string, AgentSession> _sessions = new(StringComparer.Ordinal);

    /// <summary>Registers a session; an older session of the same host is closed (the agent reconnected).</summary>
    public AgentSession Open(string host)
    {
        var session = new AgentSession(host);
        _sessions.AddOrUpdate(host, session, (_, old) =>
        {
            old.Close();
            return session;
        });
        return session;
    }

    /// <summary>Removes the session if it is still the host's current one. Returns whether it was.</summary>
    public bool Remove(AgentSession session) =>
        _sessions.TryRemove(new KeyValuePair<string, AgentSession>(session.Host, session));

    public bool Send(string host, ConsoleMessage message) =>
        _sessions.TryGetValue(host, out var session) && session.Outbound.Writer.TryWrite(message);

    /// <summary>Sends to one specific session (not a newer one of the same host).</summary>
    public static bool Send(AgentSession session, ConsoleMessage message) => session.Outbound.Writer.TryWrite(message);

    public bool IsConnected(string host) => _sessions.ContainsKey(host);

    /// <summary>The host's current session, if its agent is connected.</summary>
    public AgentSession? Find(string host) => _sessions.GetValueOrDefault(host);

    /// <summary>Ends the host's session (revoked credential).</summary>
    public void Close(string host)
    {
        if (_sessions.TryGetValue(host, out var session))
        {
            session.Close();
        }
    }
}
