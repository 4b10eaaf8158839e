using ConOps.Console.Notifications;

namespace ConOps.Tests.Notifications;

public sealed class IncidentTrackerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 26, 8, 0, 0, TimeSpan.Zero);
    private static readonly Condition Degraded = new(NotificationEvents.HealthDegraded, "shop", "edge-1", "web", "container exited with code 1");

    [Fact]
    public void A_condition_opens_one_incident_only_after_the_confirmation_delay_and_never_twice()
    {
        var tracker = new IncidentTracker(TimeSpan.FromSeconds(30));

        Assert.Empty(tracker.Evaluate([Degraded], _ => true, T0).Opened);
        Assert.Empty(tracker.Evaluate([Degraded], _ => true, T0.AddSeconds(29)).Opened);
        Assert.Equal([Degraded], tracker.Evaluate([Degraded], _ => true, T0.AddSeconds(30)).Opened);
        var later = tracker.Evaluate([Degraded], _ => true, T0.AddMinutes(10));

        Assert.Empty(later.Opened);
        Assert.Empty(later.Resolved);
        Assert.Equal([Degraded], tracker.Open);
    }

    [Fact]
    public void A_blip_shorter_than_the_confirmation_delay_is_never_an_incident()
    {
        var tracker = new IncidentTracker(TimeSpan.FromSeconds(30));

        tracker.Evaluate([Degraded], _ => true, T0);
        var gone = tracker.Evaluate([], _ => true, T0.AddSeconds(10));
        var back = tracker.Evaluate([Degraded], _ => true, T0.AddSeconds(35));

        Assert.Empty(gone.Resolved);
        Assert.Empty(back.Opened); // the clock started again at the second sighting
        Assert.Null(tracker.Open.FirstOrDefault());
        Assert.Equal(T0.AddSeconds(65), tracker.NextConfirmation);
    }

    [Fact]
    public void An_incident_resolves_once_when_its_condition_is_gone_and_the_state_is_known()
    {
        var tracker = new IncidentTracker(TimeSpan.Zero);
        tracker.Evaluate([Degraded], _ => true, T0);

        var unknown = tracker.Evaluate([], _ => false, T0.AddSeconds(5));
        var resolved = tracker.Evaluate([], _ => true, T0.AddSeconds(6));
        var again = tracker.Evaluate([], _ => true, T0.AddSeconds(7));

        Assert.Empty(unknown.Resolved);
        Assert.Equal(Degraded, Assert.Single(resolved.Resolved).Condition);
        Assert.Equal(T0, resolved.Resolved[0].OpenedAt);
        Assert.Empty(again.Resolved);
    }

    [Fact]
    public void A_restored_incident_is_not_announced_again_but_resolves_normally()
    {
        var tracker = new IncidentTracker(TimeSpan.Zero);
        tracker.Restore(Degraded, T0);

        Assert.Empty(tracker.Evaluate([Degraded], _ => true, T0.AddHours(1)).Opened);
        Assert.Single(tracker.Evaluate([], _ => true, T0.AddHours(2)).Resolved);
    }

    [Fact]
    public void Conditions_with_the_same_key_are_one_incident_and_different_services_are_two()
    {
        var tracker = new IncidentTracker(TimeSpan.Zero);
        var sameKeyOtherText = Degraded with { Summary = "restarting" };
        var otherService = Degraded with { Service = "db" };

        var changes = tracker.Evaluate([Degraded, sameKeyOtherText, otherService], _ => true, T0);

        Assert.Equal(2, changes.Opened.Count);
    }
}
