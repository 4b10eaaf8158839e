using ConOps.Agent.Reconcile;

namespace ConOps.Tests.Agent;

/// <summary>Self-heal restarts are free at first, then back off exponentially within the window.</summary>
public sealed class FlapGuardTests
{
    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public void Restarts_beyond_the_free_ones_wait_twice_as_long_each_time_and_the_window_forgets()
    {
        var clock = new ManualClock();
        var guard = new FlapGuard(clock, TimeSpan.FromMinutes(5), freeRestarts: 3, TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(1));

        for (var i = 0; i < 3; i++)
        {
            Assert.Null(guard.BlockedUntil("app", "web"));
            guard.RecordRestart("app", "web");
        }
        Assert.Equal(clock.Now + TimeSpan.FromSeconds(5), guard.BlockedUntil("app", "web"));

        clock.Now += TimeSpan.FromSeconds(5);
        Assert.Null(guard.BlockedUntil("app", "web"));
        guard.RecordRestart("app", "web");
        Assert.Equal(clock.Now + TimeSpan.FromSeconds(10), guard.BlockedUntil("app", "web"));
        Assert.Equal(4, guard.RecentCount("app", "web"));

        for (var i = 0; i < 6; i++)
        {
            guard.RecordRestart("app", "web");
        }
        Assert.Equal(clock.Now + TimeSpan.FromMinutes(1), guard.BlockedUntil("app", "web")); // capped

        clock.Now += TimeSpan.FromMinutes(6);
        Assert.Null(guard.BlockedUntil("app", "web"));
        Assert.Equal(0, guard.RecentCount("app", "web"));
        Assert.Equal(10, guard.Total("app", "web"));
        Assert.Null(guard.BlockedUntil("app", "other"));
    }
}
