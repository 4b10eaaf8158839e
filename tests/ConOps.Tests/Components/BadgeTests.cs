using Bunit;
using ConOps.Console.Components.Shared;

namespace ConOps.Tests.Components;

public sealed class BadgeTests : BunitContext
{
    [Theory]
    [InlineData("Synced", "conops-sync-synced")]
    [InlineData("OutOfSync", "conops-sync-outofsync")]
    [InlineData("Unknown", "conops-sync-unknown")]
    public void A_sync_badge_shows_its_word_in_its_colour(string status, string cssClass)
    {
        var badge = Render<SyncBadge>(p => p.Add(b => b.Status, status)).Find("span");

        Assert.Equal(status, badge.TextContent);
        Assert.Contains(cssClass, badge.ClassList);
    }

    [Fact]
    public void A_drifted_sync_badge_names_the_drifted_fields()
    {
        var badge = Render<SyncBadge>(p => p
            .Add(b => b.Status, "OutOfSync")
            .Add(b => b.DriftedFields, ["environment", "image"])).Find("span");

        Assert.Equal("Drifted: environment, image", badge.GetAttribute("title"));
    }

    [Theory]
    [InlineData("Healthy", "conops-health-healthy")]
    [InlineData("Progressing", "conops-health-progressing")]
    [InlineData("Degraded", "conops-health-degraded")]
    [InlineData("Missing", "conops-health-missing")]
    public void A_health_badge_is_separate_from_sync_and_explains_itself(string status, string cssClass)
    {
        var badge = Render<HealthBadge>(p => p.Add(b => b.Status, status).Add(b => b.Reason, "container exited with code 1")).Find("span");

        Assert.Equal(status, badge.TextContent);
        Assert.Contains(cssClass, badge.ClassList);
        Assert.Equal("container exited with code 1", badge.GetAttribute("title"));
    }
}
