using System.Text;
using ConOps.Agent.Logs;

namespace ConOps.Tests.Fleet;

public sealed class LogLineSplitterTests
{
    [Fact]
    public void Lines_split_across_reads_are_joined_and_each_output_stream_keeps_its_own_partial_line()
    {
        var splitter = new LogLineSplitter();
        var first = splitter.Add(Bytes("2026-11-26T05:40:01.123456789Z hel"), stderr: false).ToList();
        var error = splitter.Add(Bytes("2026-11-26T05:40:01.200000000Z oops\n"), stderr: true).ToList();
        var rest = splitter.Add(Bytes("lo\r\n2026-11-26T05:40:02Z world\n2026-11-26T05:40:03Z tail"), stderr: false).ToList();
        var flushed = splitter.Flush().ToList();

        Assert.Empty(first);
        var oops = Assert.Single(error);
        Assert.True(oops.Stderr);
        Assert.Equal("oops", oops.Text);
        Assert.Equal(["hello", "world"], rest.Select(l => l.Text));
        Assert.All(rest, l => Assert.False(l.Stderr));
        Assert.Equal(new DateTimeOffset(2026, 11, 26, 5, 40, 1, TimeSpan.Zero).AddTicks(1234567), rest[0].Timestamp.ToDateTimeOffset());
        Assert.Equal("tail", Assert.Single(flushed).Text);
    }

    [Fact]
    public void A_line_without_a_timestamp_is_kept_whole_and_an_overlong_line_is_cut()
    {
        var splitter = new LogLineSplitter();
        var plain = Assert.Single(splitter.Add(Bytes("no timestamp here\n"), stderr: false));
        Assert.Equal("no timestamp here", plain.Text);
        Assert.Null(plain.Timestamp);

        var huge = Assert.Single(splitter.Add(Bytes("2026-11-26T05:40:01Z " + new string('x', 100_000) + "\n"), stderr: false));
        Assert.Equal(LogStreams.MaxLineBytes, huge.Text.Length);
    }

    [Theory]
    [InlineData("2026-11-26T05:40:01.123456789Z", true)]
    [InlineData("2026-11-26T05:40:01Z", true)]
    [InlineData("2026-11-26T05:40:01.5+02:00", true)]
    [InlineData("hello", false)]
    public void Engine_timestamps_with_nanoseconds_parse(string value, bool parses) =>
        Assert.Equal(parses, LogLineSplitter.TryParseTimestamp(value, out _));

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);
}
