using ConOps.Console.Fleet;
using Microsoft.Extensions.Options;

namespace ConOps.Tests.Fleet;

public sealed class FailureRateLimiterTests
{
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 26, 6, 0, 0, TimeSpan.Zero));

    [Fact]
    public void An_address_over_the_limit_waits_until_its_window_passes_and_others_are_unaffected()
    {
        var limiter = new FailureRateLimiter(Options.Create(new FleetOptions { FailureLimit = 3, FailureWindow = TimeSpan.FromMinutes(5) }), _clock);
        for (var i = 0; i < 2; i++)
        {
            limiter.RecordFailure("10.0.0.1");
        }
        Assert.Null(limiter.RetryAfter("10.0.0.1"));

        limiter.RecordFailure("10.0.0.1");
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(TimeSpan.FromMinutes(4), limiter.RetryAfter("10.0.0.1"));
        Assert.Null(limiter.RetryAfter("10.0.0.2"));

        _clock.Advance(TimeSpan.FromMinutes(4));
        Assert.Null(limiter.RetryAfter("10.0.0.1"));
        limiter.RecordFailure("10.0.0.1");
        Assert.Null(limiter.RetryAfter("10.0.0.1"));
    }
}
