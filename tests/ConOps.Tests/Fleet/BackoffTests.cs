using ConOps.Agent.Connection;

namespace ConOps.Tests.Fleet;

public sealed class BackoffTests
{
    private static readonly TimeSpan Cap = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(0, 250)]
    [InlineData(1, 500)]
    [InlineData(4, 4000)]
    [InlineData(7, 30000)]
    [InlineData(64, 30000)]
    public void The_ceiling_doubles_from_250_ms_and_stops_at_the_cap(int attempt, double ceilingMs) =>
        Assert.Equal(TimeSpan.FromMilliseconds(ceilingMs), ConsoleConnection.Backoff(attempt, Cap, random: 1.0));

    [Fact]
    public void The_delay_is_jittered_between_zero_and_the_ceiling()
    {
        Assert.Equal(TimeSpan.Zero, ConsoleConnection.Backoff(5, Cap, random: 0.0));
        Assert.Equal(TimeSpan.FromSeconds(4), ConsoleConnection.Backoff(5, Cap, random: 0.5));
        var delays = Enumerable.Range(0, 200).Select(_ => ConsoleConnection.Backoff(10, Cap)).ToList();
        Assert.All(delays, d => Assert.InRange(d, TimeSpan.Zero, Cap));
        Assert.True(delays.Distinct().Count() > 150, "delays should spread, not synchronize agents");
    }
}
