using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Threading.Channels;
using ConOps.Agent.Docker;
using ConOps.Contract;
using Google.Protobuf.WellKnownTypes;

namespace ConOps.Agent.Logs;

/// <summary>
/// Log streams the console asked for. Each stream reads the container's log from the engine (tail, then
/// follow), cuts it into lines and sends batches about every 100 ms. Reading pauses when the console is
/// slower than the container (the engine keeps the log), so nothing is dropped here and reconcile, which
/// never touches these queues, is never held up.
/// </summary>
public sealed partial class LogStreams(EngineClient engine, TimeProvider time, ILogger<LogStreams> log)
{
    /// <summary>How long lines gather before a batch is sent.</summary>
    public static readonly TimeSpan BatchWindow = TimeSpan.FromMilliseconds(100);

    /// <summary>Most lines in one batch (a burst is sent as several batches back to back).</summary>
    public const int MaxBatchLines = 2000;

    /// <summary>Longest line kept; the rest is cut off.</summary>
    public const int MaxLineBytes = 16 * 1024;

    // Most streams one agent serves at once; more are refused with a message.
    private const int MaxStreams = 64;

    private readonly ConcurrentDictionary<long, CancellationTokenSource> _streams = new();

    // Batches waiting for the connection's sender. Small: a full queue pauses the readers.
    private readonly Channel<AgentMessage> _outgoing = Channel.CreateBounded<AgentMessage>(
        new BoundedChannelOptions(16) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });

    public ChannelReader<AgentMessage> Outgoing => _outgoing.Reader;

    public int ActiveStreams => _streams.Count;

    public void Start(LogRequest request)
    {
        if (_streams.Count >= MaxStreams)
        {
            _outgoing.Writer.TryWrite(End(request.StreamId, $"This agent already serves {MaxStreams} log streams; close some and try again."));
            return;
        }
        var cts = new CancellationTokenSource();
        if (!_streams.TryAdd(request.StreamId, cts))
        {
            cts.Dispose();
            return;
        }
        _ = RunAsync(request, cts);
    }

    public void Cancel(long streamId)
    {
        if (_streams.TryRemove(streamId, out var cts))
        {
            cts.Cancel();
        }
    }

    /// <summary>The session ended: every stream belonged to it.</summary>
    public void CancelAll()
    {
        foreach (var id in _streams.Keys)
        {
            Cancel(id);
        }
        while (_outgoing.Reader.TryRead(out _))
        {
        }
    }

    private async Task RunAsync(LogRequest request, CancellationTokenSource cts)
    {
        var ct = cts.Token;
        var lines = Channel.CreateBounded<LogLine>(new BoundedChannelOptions(MaxBatchLines * 4) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true, SingleWriter = true });
        var batching = BatchAsync(request.StreamId, lines.Reader, ct);
        string error = "";
        try
        {
            await ReadAsync(request, lines.Writer, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is EngineException or HttpRequestException or IOException or InvalidOperationException)
        {
            error = ex is EngineException { IsNotFound: true } ? $"The container of {request.App}/{request.Service} is gone." : ex.Message;
            LogStreamFailed(request.App, request.Service, ex.Message);
        }
        finally
        {
            lines.Writer.TryComplete();
        }
        try
        {
            await batching;
            if (!ct.IsCancellationRequested)
            {
                await _outgoing.Writer.WriteAsync(End(request.StreamId, error), ct);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            _streams.TryRemove(new KeyValuePair<long, CancellationTokenSource>(request.StreamId, cts));
            cts.Dispose();
        }
    }

    private async Task ReadAsync(LogRequest request, ChannelWriter<LogLine> lines, CancellationToken ct)
    {
        var containers = await engine.ListContainersAsync([ManagedLabels.ManagedFilter, $"{ManagedLabels.App}={request.App}", $"{ManagedLabels.Service}={request.Service}"], ct);
        var container = containers.OrderByDescending(c => c.State == "running").ThenBy(c => c.Names.FirstOrDefault(), StringComparer.Ordinal).FirstOrDefault()
            ?? throw new InvalidOperationException($"No container for service {request.Service} of app {request.App} on this host.");

        // A container with a terminal has one raw output stream; without one the engine frames stdout and stderr.
        var tty = (await engine.InspectContainerAsync(container.Id, ct)).Config?.Tty ?? false;
        await using var stream = await engine.ContainerLogsAsync(
            container.Id,
            tty,
            request.Follow,
            request.Tail < 0 ? "all" : request.Tail.ToString(CultureInfo.InvariantCulture),
            request.Since?.Seconds,
            ct);
        var splitter = new LogLineSplitter();
        var buffer = new byte[64 * 1024];
        long number = 0;
        while (true)
        {
            var (count, stderr) = await stream.ReadAsync(buffer, ct);
            if (count == 0)
            {
                break;
            }
            foreach (var line in splitter.Add(buffer.AsSpan(0, count), stderr))
            {
                line.LineNumber = ++number;
                await lines.WriteAsync(line, ct);
            }
        }
        foreach (var line in splitter.Flush())
        {
            line.LineNumber = ++number;
            await lines.WriteAsync(line, ct);
        }
    }

    private async Task BatchAsync(long streamId, ChannelReader<LogLine> lines, CancellationToken ct)
    {
        var burst = false;
        while (await lines.WaitToReadAsync(ct))
        {
            if (!burst)
            {
                // Let a few lines gather: one message per ~100 ms instead of one per line.
                await Task.Delay(BatchWindow, time, ct);
            }
            var chunk = new LogChunk { StreamId = streamId };
            while (chunk.Lines.Count < MaxBatchLines && lines.TryRead(out var line))
            {
                chunk.Lines.Add(line);
            }
            burst = chunk.Lines.Count == MaxBatchLines;
            Observability.AgentMetrics.LogBytesStreamed(chunk.CalculateSize());
            await _outgoing.Writer.WriteAsync(new AgentMessage { LogChunk = chunk }, ct);
        }
    }

    private static AgentMessage End(long streamId, string error) =>
        new() { LogChunk = new LogChunk { StreamId = streamId, End = true, Error = error } };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Log stream of {App}/{Service} failed: {Reason}")]
    private partial void LogStreamFailed(string app, string service, string reason);
}

/// <summary>
/// Turns the engine's log bytes (each line prefixed with its RFC 3339 timestamp) into lines, per output
/// stream, keeping a partial line until its newline arrives.
/// </summary>
public sealed class LogLineSplitter
{
    private readonly List<byte> _stdout = [];
    private readonly List<byte> _stderr = [];

    public IEnumerable<LogLine> Add(ReadOnlySpan<byte> bytes, bool stderr)
    {
        var pending = stderr ? _stderr : _stdout;
        var lines = new List<LogLine>();
        while (bytes.Length > 0)
        {
            var newline = bytes.IndexOf((byte)'\n');
            if (newline < 0)
            {
                Append(pending, bytes);
                break;
            }
            Append(pending, bytes[..newline]);
            lines.Add(Parse(pending, stderr));
            pending.Clear();
            bytes = bytes[(newline + 1)..];
        }
        return lines;
    }

    /// <summary>What is left without a final newline.</summary>
    public IEnumerable<LogLine> Flush()
    {
        var lines = new List<LogLine>();
        foreach (var (pending, stderr) in new[] { (_stdout, false), (_stderr, true) })
        {
            if (pending.Count > 0)
            {
                lines.Add(Parse(pending, stderr));
                pending.Clear();
            }
        }
        return lines;
    }

    private static void Append(List<byte> pending, ReadOnlySpan<byte> bytes)
    {
        var room = LogStreams.MaxLineBytes + 64 - pending.Count;
        if (room > 0)
        {
            pending.AddRange(bytes.Length > room ? bytes[..room] : bytes);
        }
    }

    private static LogLine Parse(List<byte> pending, bool stderr)
    {
        var text = Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(pending)).TrimEnd('\r');
        var line = new LogLine { Stderr = stderr };
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        if (space > 0 && TryParseTimestamp(text.AsSpan(0, space), out var timestamp))
        {
            line.Timestamp = Timestamp.FromDateTimeOffset(timestamp);
            text = text[(space + 1)..];
        }
        line.Text = text.Length > LogStreams.MaxLineBytes ? text[..LogStreams.MaxLineBytes] : text;
        return line;
    }

    /// <summary>RFC 3339 with up to nanoseconds ("2026-11-26T05:40:01.123456789Z"); .NET reads at most 7 fraction digits.</summary>
    public static bool TryParseTimestamp(ReadOnlySpan<char> value, out DateTimeOffset timestamp)
    {
        Span<char> trimmed = stackalloc char[value.Length];
        var length = 0;
        var fraction = -1;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '.')
            {
                fraction = 0;
            }
            else if (fraction >= 0 && char.IsAsciiDigit(c))
            {
                if (++fraction > 7)
                {
                    continue;
                }
            }
            else
            {
                fraction = -1;
            }
            trimmed[length++] = c;
        }
        return DateTimeOffset.TryParse(trimmed[..length], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out timestamp);
    }
}
