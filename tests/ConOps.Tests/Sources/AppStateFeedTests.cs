using ConOps.Console.Sync;

namespace ConOps.Tests.Sources;

/// <summary>The push feed of per-app decisions: who is told, and which changes wait for approval.</summary>
public sealed class AppStateFeedTests
{
    [Fact]
    public void Saved_states_keep_the_pending_list_current_and_tell_every_subscriber_the_app()
    {
        var feed = new AppStateFeed();
        var told = new List<string>();
        using (feed.Subscribe(told.Add))
        {
            feed.Load([Pending("shop", "nas", 2), Pending("blog", "pi", 1)]);
            feed.Changed(new AppHostStateRecord { App = "shop", Host = "nas" });
            feed.Changed("blog");
        }
        feed.Changed("after-dispose");

        Assert.Equal(["shop", "blog", "shop", "blog"], told);
        var pending = Assert.Single(feed.PendingApprovals);
        Assert.Equal(("blog", "pi", "no service changes"), (pending.App, pending.Host, pending.Plan));
    }

    [Fact]
    public void Pending_approvals_are_listed_oldest_first()
    {
        var feed = new AppStateFeed();

        feed.Changed(Pending("b", "h", 1));
        feed.Changed(Pending("a", "h", 5));

        Assert.Equal(["a", "b"], feed.PendingApprovals.Select(p => p.App));
    }

    private static AppHostStateRecord Pending(string app, string host, int minutesAgo) => new()
    {
        App = app,
        Host = host,
        Pending = [1],
        PendingCommit = "abc",
        PendingSince = DateTimeOffset.UnixEpoch.AddHours(1).AddMinutes(-minutesAgo),
    };
}
