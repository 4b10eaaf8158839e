using ConOps.Agent;
using ConOps.Agent.Reconcile;
using ConOps.Contract;
using ConOps.Tests.Compose;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ConOps.Tests.Agent;

/// <summary>The agent remembers the last policy of an app that left the desired state, across restarts.</summary>
public sealed class DesiredStateStoreTests
{
    [Fact]
    public void An_app_that_leaves_the_desired_state_keeps_its_last_policy_until_it_comes_back_or_is_forgotten()
    {
        using var data = new TempFolder();
        var store = Store(data);
        store.TryReplace(State(1, App("shop", prune: true), App("blog", prune: false)));

        store.TryReplace(State(2, App("blog", prune: false)));
        store.TryReplace(State(3));

        var restarted = Store(data);
        Assert.True(restarted.RemovedPolicy("shop")?.Prune);
        Assert.False(restarted.RemovedPolicy("blog")?.Prune);
        Assert.Null(restarted.RemovedPolicy("never-seen"));

        restarted.TryReplace(State(4, App("shop", prune: false)));
        restarted.ForgetRemoved("blog");
        Assert.Null(restarted.RemovedPolicy("shop"));
        Assert.Empty(Store(data).RemovedApps());
    }

    private static DesiredStateStore Store(TempFolder data) =>
        new(Options.Create(new AgentOptions { DataDirectory = data.Path }), NullLogger<DesiredStateStore>.Instance);

    private static DesiredState State(long generation, params AppDesiredState[] apps)
    {
        var state = new DesiredState { Generation = generation };
        state.Apps.AddRange(apps);
        return state;
    }

    private static AppDesiredState App(string name, bool prune) => new() { App = name, Policy = new SyncPolicy { SelfHeal = true, Prune = prune } };
}
