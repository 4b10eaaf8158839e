using System.Collections.Concurrent;
using System.Threading.Channels;
using ConOps.Console.Fleet;
using ConOps.Contract;
using Microsoft.Extensions.Options;

namespace ConOps.Console.Logs;

/// <summary>One log line of a container.</summary>
/// <param name="LineNumber">1-based position in the upstream stream; gaps never happen inside one subscription except where <see cref="LogBatch.DroppedLines"/> says so.</param>
/// <param name="Timestamp">When the container wrote the line, as the engine recorded it.</param>
/// <param name="Stderr">The line came from stderr.</param>
/// <param name="Text">The line without its newline.</param>
public sealed record LogEntry(long LineNumber, DateTimeOffset? Timestamp, bool Stderr, string Text);

/// <summary>
/// What a viewer receives, about every 100 ms: new lines, how many lines were dropped just before them
/// because this viewer fell behind, and whether the stream is over (and why).
/// </summary>
public sealed record LogBatch(IReadOnlyList<LogEntry> Lines, long DroppedLines, bool End, string? Error);

/// <summary>
/// Live container logs for viewers (API clients, the Blazor log view). Viewers of the same container share
/// one upstream stream from the agent; each viewer has its own bounded buffer, and a viewer that falls too
/// far behind loses lines (counted and reported) instead of slowing the agent, the other viewers or the
/// agent stream, which also carries status. The upstream is cancelled when its last viewer leaves.
/// </summary>
/// <example>
/// <code>
/// await using var logs = hub.Subscribe("nas", "media", "jellyfin", tail: 200, follow: true);
/// await foreach (var batch in logs.ReadAllAsync(ct)) { /* append batch.Lines, show batch.DroppedLines */ }
/// </code>
/// </example>
public sealed partial class LogHub(AgentSessions sessions, IOptions<FleetOptions> options, ILogger<LogHub> log)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Host, string App, string Service), Upstream> _shared = [];
    private readonly ConcurrentDictionary<long, Upstream> _byStream = new();
    private long _nextStreamId;

    /// <summary>Upstream streams currently open (for tests and metrics).</summary>
    public int OpenUpstreams => _byStream.Count;

    /// <summary>
    /// Starts viewing one service's logs: the last <paramref name="tail"/> lines (negative: all the engine
    /// has, up to the configured maximum), then, with <paramref name="follow"/>, new lines until disposed.
    /// Followers of a container already streamed get their tail from the shared stream's recent lines.
    /// When the host has no connected agent the subscription ends at once with an error.
    /// </summary>
    public LogSubscription Subscribe(string host, string app, string service, int tail, bool follow)
    {
        var limits = options.Value;
        tail = tail < 0 || tail > limits.MaxLogTail ? limits.MaxLogTail : tail;
        var viewer = new LogSubscription(this, host, app, service, limits.LogViewerBufferLines);
        var session = sessions.Find(host);
        if (session is null)
        {
            viewer.Finish($"Host '{host}' has no connected agent; logs are streamed live from the agent.");
            return viewer;
        }

        lock (_gate)
        {
            var key = (host, app, service);
            if (follow && _shared.TryGetValue(key, out var existing) && existing.TryJoin(viewer, tail))
            {
                return viewer;
            }
            var upstream = new Upstream(Interlocked.Increment(ref _nextStreamId), key, session, follow, limits.LogHistoryLines);
            upstream.TryJoin(viewer, tail);
            _byStream[upstream.StreamId] = upstream;
            if (follow)
            {
                _shared[key] = upstream;
            }
            var request = new LogRequest { StreamId = upstream.StreamId, App = app, Service = service, Tail = tail, Follow = follow };
            if (!AgentSessions.SendOptional(session, new ConsoleMessage { LogRequest = request }))
            {
                End(upstream, $"The agent of host '{host}' is not accepting requests right now; try again.");
            }
            LogUpstreamOpened(host, app, service, upstream.StreamId, tail, follow);
        }
        return viewer;
    }

    /// <summary>A batch from an agent. Never blocks: viewers' buffers take it or count it dropped.</summary>
    public void OnChunk(AgentSession session, LogChunk chunk)
    {
        if (!_byStream.TryGetValue(chunk.StreamId, out var upstream) || upstream.Session != session)
        {
            // Nobody reads this stream (its cancel was lost or came too late): tell the agent again.
            if (!chunk.End)
            {
                AgentSessions.SendOptional(session, new ConsoleMessage { LogCancel = new LogCancel { StreamId = chunk.StreamId } });
            }
            return;
        }
        Observability.ConsoleMetrics.LogBytesStreamed(chunk.CalculateSize());
        if (chunk.Lines.Count > 0 || chunk.DroppedLines > 0)
        {
            var lines = new LogEntry[chunk.Lines.Count];
            for (var i = 0; i < lines.Length; i++)
            {
                var line = chunk.Lines[i];
                lines[i] = new LogEntry(line.LineNumber, line.Timestamp?.ToDateTimeOffset(), line.Stderr, line.Text);
            }
            upstream.Publish(lines, chunk.DroppedLines);
        }
        if (chunk.End)
        {
            End(upstream, chunk.Error.Length > 0 ? chunk.Error : null);
        }
    }

    /// <summary>The agent's session ended: every stream it carried ends for its viewers.</summary>
    public void OnSessionEnded(AgentSession session)
    {
        foreach (var upstream in _byStream.Values.Where(u => u.Session == session))
        {
            End(upstream, $"The agent of host '{session.Host}' disconnected.");
        }
    }

    internal void Leave(LogSubscription viewer)
    {
        lock (_gate)
        {
            foreach (var upstream in _byStream.Values)
            {
                if (upstream.Leave(viewer) == 0)
                {
                    Forget(upstream);
                    AgentSessions.SendOptional(upstream.Session, new ConsoleMessage { LogCancel = new LogCancel { StreamId = upstream.StreamId } });
                    LogUpstreamCancelled(upstream.Key.Host, upstream.Key.App, upstream.Key.Service, upstream.StreamId);
                }
            }
        }
    }

    private void End(Upstream upstream, string? error)
    {
        lock (_gate)
        {
            Forget(upstream);
        }
        upstream.End(error);
    }

    private void Forget(Upstream upstream)
    {
        _byStream.TryRemove(upstream.StreamId, out _);
        if (_shared.TryGetValue(upstream.Key, out var current) && current == upstream)
        {
            _shared.Remove(upstream.Key);
        }
    }

    /// <summary>One stream from an agent and the viewers sharing it, with its most recent lines for late joiners.</summary>
    private sealed class Upstream(long streamId, (string Host, string App, string Service) key, AgentSession session, bool follow, int historyLines)
    {
        private readonly Lock _gate = new();
        private readonly Queue<LogEntry> _recent = new();
        private readonly List<LogSubscription> _viewers = [];
        private bool _ended;

        public long StreamId { get; } = streamId;

        public (string Host, string App, string Service) Key { get; } = key;

        public AgentSession Session { get; } = session;

        public bool TryJoin(LogSubscription viewer, int tail)
        {
            lock (_gate)
            {
                if (_ended)
                {
                    return false;
                }
                _viewers.Add(viewer);
                var skip = Math.Max(0, _recent.Count - tail);
                if (_recent.Count > skip)
                {
                    viewer.Offer([.. _recent.Skip(skip)], 0);
                }
                return true;
            }
        }

        /// <summary>Removes the viewer if it is here; returns how many remain (-1 when it was not here).</summary>
        public int Leave(LogSubscription viewer)
        {
            lock (_gate)
            {
                return _viewers.Remove(viewer) ? _viewers.Count : -1;
            }
        }

        public void Publish(LogEntry[] lines, long dropped)
        {
            lock (_gate)
            {
                if (follow)
                {
                    foreach (var line in lines)
                    {
                        _recent.Enqueue(line);
                    }
                    while (_recent.Count > historyLines)
                    {
                        _recent.Dequeue();
                    }
                }
                foreach (var viewer in _viewers)
                {
                    viewer.Offer(lines, dropped);
                }
            }
        }

        public void End(string? error)
        {
            lock (_gate)
            {
                _ended = true;
                foreach (var viewer in _viewers)
                {
                    viewer.Finish(error);
                }
                _viewers.Clear();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Log stream {StreamId} opened for {Host}/{App}/{Service} (tail {Tail}, follow {Follow})")]
    private partial void LogUpstreamOpened(string host, string app, string service, long streamId, int tail, bool follow);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Log stream {StreamId} for {Host}/{App}/{Service} cancelled: its last viewer left")]
    private partial void LogUpstreamCancelled(string host, string app, string service, long streamId);
}

/// <summary>
/// One viewer's live log view. Read it with <see cref="ReadAllAsync"/>; dispose it to leave (the upstream
/// stops when the last viewer leaves). Its buffer is bounded in lines: when the reader falls behind, new
/// lines are dropped and the next batch reports how many.
/// </summary>
public sealed class LogSubscription : IDisposable, IAsyncDisposable
{
    private readonly LogHub _hub;
    private readonly int _bufferLines;
    private readonly Channel<LogBatch> _batches = Channel.CreateUnbounded<LogBatch>(new UnboundedChannelOptions { SingleReader = true });
    private long _bufferedLines;
    private long _dropped;
    private long _pendingDropped;
    private int _disposed;

    internal LogSubscription(LogHub hub, string host, string app, string service, int bufferLines)
    {
        _hub = hub;
        _bufferLines = bufferLines;
        Host = host;
        App = app;
        Service = service;
    }

    public string Host { get; }

    public string App { get; }

    public string Service { get; }

    /// <summary>Lines dropped for this viewer so far.</summary>
    public long DroppedLines => Interlocked.Read(ref _dropped);

    /// <summary>Batches in order until the stream ends (the last batch has <see cref="LogBatch.End"/> set) or the token is cancelled.</summary>
    public async IAsyncEnumerable<LogBatch> ReadAllAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await foreach (var batch in _batches.Reader.ReadAllAsync(ct))
        {
            Interlocked.Add(ref _bufferedLines, -batch.Lines.Count);
            yield return batch;
        }
    }

    internal void Offer(IReadOnlyList<LogEntry> lines, long droppedUpstream)
    {
        if (Interlocked.Read(ref _bufferedLines) + lines.Count > _bufferLines)
        {
            Interlocked.Add(ref _dropped, lines.Count + droppedUpstream);
            Interlocked.Add(ref _pendingDropped, lines.Count + droppedUpstream);
            return;
        }
        Interlocked.Add(ref _bufferedLines, lines.Count);
        var dropped = Interlocked.Exchange(ref _pendingDropped, 0) + droppedUpstream;
        _batches.Writer.TryWrite(new LogBatch(lines, dropped, false, null));
    }

    internal void Finish(string? error)
    {
        var dropped = Interlocked.Exchange(ref _pendingDropped, 0);
        _batches.Writer.TryWrite(new LogBatch([], dropped, true, error));
        _batches.Writer.TryComplete();
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _batches.Writer.TryComplete();
            _hub.Leave(this);
        }
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
