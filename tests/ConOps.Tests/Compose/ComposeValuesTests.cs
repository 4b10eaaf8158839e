using ConOps.Console.Compose;

namespace ConOps.Tests.Compose;

public sealed class ComposeValuesTests
{
    private static readonly Node At = new ScalarNode(new SourceFile("compose.yaml", "compose.yaml", "/"), 3, 7, null, "x");

    [Theory]
    [InlineData("1m30s", 90, 0)]
    [InlineData("1h", 3600, 0)]
    [InlineData("1.5h", 5400, 0)]
    [InlineData("250ms", 0, 250_000_000)]
    [InlineData("10us", 0, 10_000)]
    [InlineData("2h45m10s", 9910, 0)]
    [InlineData("0", 0, 0)]
    public void Parses_durations(string text, long seconds, int nanos)
    {
        var duration = ComposeValues.ParseDuration(text, At);
        Assert.Equal((seconds, nanos), (duration.Seconds, duration.Nanos));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("1d")]
    [InlineData("fast")]
    [InlineData("")]
    public void Rejects_durations_without_units_or_with_unknown_ones(string text)
    {
        var error = Assert.Throws<ComposeException>(() => ComposeValues.ParseDuration(text, At));
        Assert.StartsWith("compose.yaml:3:7: ", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("512m", 512L * 1024 * 1024)]
    [InlineData("1g", 1L << 30)]
    [InlineData("1GB", 1L << 30)]
    [InlineData("100k", 100L * 1024)]
    [InlineData("64", 64)]
    [InlineData("1.5g", 3L << 29)]
    [InlineData("2b", 2)]
    public void Parses_byte_sizes(string text, long bytes) => Assert.Equal(bytes, ComposeValues.ParseBytes(text, At));

    [Theory]
    [InlineData("run --fast", new[] { "run", "--fast" })]
    [InlineData("sh -c 'echo $HOME && ls'", new[] { "sh", "-c", "echo $HOME && ls" })]
    [InlineData("echo \"a \\\"quoted\\\" word\"", new[] { "echo", "a \"quoted\" word" })]
    [InlineData("a\\ b c", new[] { "a b", "c" })]
    [InlineData("  spaced   out  ", new[] { "spaced", "out" })]
    [InlineData("x''y \"\"", new[] { "xy", "" })]
    public void Splits_commands_like_a_shell(string text, string[] words) => Assert.Equal(words, ComposeValues.ShellSplit(text, At));

    [Fact]
    public void An_unclosed_quote_is_an_error()
    {
        var error = Assert.Throws<ComposeException>(() => ComposeValues.ShellSplit("sh -c 'oops", At));
        Assert.Contains("unclosed single quote", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0440", 288u)]
    [InlineData("0o440", 288u)]
    [InlineData("292", 292u)]
    public void Reads_file_modes(string text, uint mode) => Assert.Equal(mode, ComposeValues.ParseMode(text, At));
}
