using ConOps.Console.Fleet;
using ConOps.Console.Logs;
using ConOps.Contract;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ConOps.Tests.Fleet;

public sealed class LogHubTests
{
    private readonly AgentSessions _sessions = new();
    private readonly AgentSession _session;

    public LogHubTests() => _session = _sessions.Open("nas");

    [Fact]
    public async Task Followers_of_one_container_share_one_upstream_and_a_late_viewer_gets_its_tail_from_it()
    {
        var hub = Hub();
        using var first = hub.Subscribe("nas", "media", "web", tail: 100, follow: true);
        var request = Assert.Single(Sent()).LogRequest;
        Assert.Equal(100, request.Tail);
        Assert.True(request.Follow);

        hub.OnChunk(_session, Chunk(request.StreamId, 1, 10));
        using var late = hub.Subscribe("nas", "media", "web", tail: 3, follow: true);
        hub.OnChunk(_session, Chunk(request.StreamId, 11, 12));

        Assert.Empty(Sent());
        Assert.Equal(Enumerable.Range(1, 12).Select(n => (long)n), (await Read(first, 12)).Select(l => l.LineNumber));
        Assert.Equal([8L, 9, 10, 11, 12], (await Read(late, 5)).Select(l => l.LineNumber));
    }

    [Fact]
    public void The_upstream_is_cancelled_when_the_last_viewer_leaves()
    {
        var hub = Hub();
        var first = hub.Subscribe("nas", "media", "web", tail: 10, follow: true);
        var second = hub.Subscribe("nas", "media", "web", tail: 10, follow: true);
        var streamId = Assert.Single(Sent()).LogRequest.StreamId;

        first.Dispose();
        Assert.Empty(Sent());
        second.Dispose();

        Assert.Equal(streamId, Assert.Single(Sent()).LogCancel.StreamId);
        Assert.Equal(0, hub.OpenUpstreams);
    }

    [Fact]
    public async Task A_slow_viewer_loses_lines_and_is_told_how_many_while_others_get_everything()
    {
        var hub = Hub(viewerBufferLines: 10);
        using var slow = hub.Subscribe("nas", "media", "web", tail: 0, follow: true);
        using var fast = hub.Subscribe("nas", "media", "web", tail: 0, follow: true);
        var streamId = Assert.Single(Sent()).LogRequest.StreamId;

        hub.OnChunk(_session, Chunk(streamId, 1, 8));
        var fastLines = await Read(fast, 8);
        hub.OnChunk(_session, Chunk(streamId, 9, 16));
        fastLines.AddRange(await Read(fast, 8));

        Assert.Equal(16, fastLines.Count);
        Assert.Equal(8, slow.DroppedLines);
        var batches = new List<LogBatch>();
        await foreach (var batch in slow.ReadAllAsync())
        {
            batches.Add(batch);
            if (batches.Count == 1)
            {
                hub.OnChunk(_session, Chunk(streamId, 17, 17));
            }
            else
            {
                break;
            }
        }
        Assert.Equal(8, batches[0].Lines.Count);
        Assert.Equal(8, batches[1].DroppedLines);
        Assert.Equal(17, Assert.Single(batches[1].Lines).LineNumber);
    }

    [Fact]
    public async Task Viewers_are_told_when_the_agent_disconnects_or_the_host_has_none()
    {
        var hub = Hub();
        var viewer = hub.Subscribe("nas", "media", "web", tail: 10, follow: true);
        hub.OnSessionEnded(_session);
        var last = await Last(viewer);
        Assert.True(last.End);
        Assert.Contains("disconnected", last.Error, StringComparison.Ordinal);
        Assert.Equal(0, hub.OpenUpstreams);

        var nowhere = await Last(hub.Subscribe("attic", "media", "web", tail: 10, follow: true));
        Assert.Contains("no connected agent", nowhere.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_one_off_tail_gets_its_own_stream_and_ends_with_the_agent()
    {
        var hub = Hub();
        using var follower = hub.Subscribe("nas", "media", "web", tail: 10, follow: true);
        using var once = hub.Subscribe("nas", "media", "web", tail: 2, follow: false);
        var requests = Sent().Select(m => m.LogRequest).ToList();
        Assert.Equal(2, requests.Count);
        var onceId = requests.Single(r => !r.Follow).StreamId;

        hub.OnChunk(_session, Chunk(onceId, 1, 2));
        hub.OnChunk(_session, new LogChunk { StreamId = onceId, End = true });

        var batches = new List<LogBatch>();
        await foreach (var batch in once.ReadAllAsync())
        {
            batches.Add(batch);
        }
        Assert.Equal(2, batches.Sum(b => b.Lines.Count));
        Assert.True(batches[^1].End);
        Assert.Null(batches[^1].Error);
    }

    private LogHub Hub(int viewerBufferLines = 1000) =>
        new(_sessions, Options.Create(new FleetOptions { LogViewerBufferLines = viewerBufferLines, LogHistoryLines = 100 }), NullLogger<LogHub>.Instance);

    private List<ConsoleMessage> Sent()
    {
        var messages = new List<ConsoleMessage>();
        while (_session.Outbound.Reader.TryRead(out var message))
        {
            messages.Add(message);
        }
        return messages;
    }

    private static LogChunk Chunk(long streamId, int from, int to)
    {
        var chunk = new LogChunk { StreamId = streamId };
        for (var n = from; n <= to; n++)
        {
            chunk.Lines.Add(new LogLine { LineNumber = n, Text = $"line {n}" });
        }
        return chunk;
    }

    private static async Task<List<LogEntry>> Read(LogSubscription viewer, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var lines = new List<LogEntry>();
        await foreach (var batch in viewer.ReadAllAsync(timeout.Token))
        {
            lines.AddRange(batch.Lines);
            if (lines.Count >= count)
            {
                break;
            }
        }
        return lines;
    }

    private static async Task<LogBatch> Last(LogSubscription viewer)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        LogBatch? last = null;
        await foreach (var batch in viewer.ReadAllAsync(timeout.Token))
        {
            last = batch;
        }
        return last!;
    }
}
