using Bunit;
using ConOps.Console.Components.Pages;
using ConOps.Console.Fleet;
using ConOps.Console.Sync;
using ConOps.Contract;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace ConOps.Tests.Components;

/// <summary>The fleet page against a real FleetState: counts, offline hosts, and pushed updates.</summary>
public sealed class FleetPageTests : IAsyncLifetime
{
    // MudBlazor's services dispose only asynchronously, which xunit's synchronous Dispose cannot do.
    private readonly BunitContext _bunit = new();
    private readonly FleetState _fleet = new(TimeProvider.System);
    private readonly AppStateFeed _feed = new();

    public FleetPageTests()
    {
        _bunit.Services.AddMudServices();
        _bunit.Services.AddSingleton(_fleet);
        _bunit.Services.AddSingleton(_feed);
        _bunit.Services.AddSingleton(TimeProvider.System);
        _bunit.JSInterop.Mode = JSRuntimeMode.Loose;
        _bunit.Renderer.SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _bunit.DisposeAsync();

    private IRenderedComponent<FleetPage> RenderFleet() => _bunit.Render<FleetPage>();

    [Fact]
    public void With_no_host_the_page_teaches_how_to_connect_one()
    {
        var page = RenderFleet();

        Assert.Contains("Connect your first host", page.Find("[data-testid=empty-state]").TextContent);
    }

    [Fact]
    public void With_a_host_but_no_service_the_page_says_none_is_deployed_yet_instead_of_blaming_filters()
    {
        _fleet.HostConnected(new Hello { HostName = "nas", AgentVersion = "1", EngineVersion = "20.10" });

        var page = RenderFleet();

        Assert.Contains("No services yet", page.Find("[data-testid=no-services]").TextContent);
        Assert.Empty(page.FindAll("[data-testid=no-match]"));
    }

    [Fact]
    public void Counts_each_sync_and_health_state_and_greys_offline_hosts()
    {
        _fleet.HostConnected(new Hello { HostName = "nas", AgentVersion = "1", EngineVersion = "20.10" });
        _fleet.HostConnected(new Hello { HostName = "pi", AgentVersion = "1", EngineVersion = "20.10" });
        Report("nas", ("web", SyncStatus.Synced, HealthStatus.Healthy), ("db", SyncStatus.OutOfSync, HealthStatus.Degraded));
        Report("pi", ("web", SyncStatus.Synced, HealthStatus.Healthy));
        _fleet.HostDisconnected("pi");

        var page = RenderFleet();

        Assert.Equal("Synced 2", page.Find("[data-testid=count-sync-Synced]").TextContent.Trim());
        Assert.Equal("OutOfSync 1", page.Find("[data-testid=count-sync-OutOfSync]").TextContent.Trim());
        Assert.Equal("Degraded 1", page.Find("[data-testid=count-health-Degraded]").TextContent.Trim());
        Assert.Contains("conops-offline", page.Find("[data-testid=host-pi]").ClassList);
        Assert.Contains("offline since", page.Find("[data-testid=host-pi]").TextContent);
        Assert.DoesNotContain("conops-offline", page.Find("[data-testid=host-nas]").ClassList);
    }

    [Fact]
    public void A_status_change_is_pushed_to_the_open_page()
    {
        _fleet.HostConnected(new Hello { HostName = "nas" });
        Report("nas", ("web", SyncStatus.Synced, HealthStatus.Healthy));
        var page = RenderFleet();
        Assert.Equal("Healthy", page.Find("[data-testid=health-nas-shop-web]").TextContent);

        Report("nas", ("web", SyncStatus.OutOfSync, HealthStatus.Missing));

        page.WaitForAssertion(() =>
        {
            Assert.Equal("Missing", page.Find("[data-testid=health-nas-shop-web]").TextContent);
            Assert.Equal("OutOfSync", page.Find("[data-testid=sync-nas-shop-web]").TextContent);
        }, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Clicking_a_count_filters_the_rows_to_that_state()
    {
        _fleet.HostConnected(new Hello { HostName = "nas" });
        Report("nas", ("web", SyncStatus.Synced, HealthStatus.Healthy), ("db", SyncStatus.OutOfSync, HealthStatus.Degraded));
        var page = RenderFleet();

        page.Find("[data-testid=count-health-Degraded]").Click();

        page.WaitForAssertion(() =>
        {
            Assert.Single(page.FindAll("[data-testid^=row-]"));
            Assert.NotNull(page.Find("[data-testid=row-nas-shop-db]"));
        });
    }

    [Fact]
    public void Before_the_live_connection_the_first_screen_of_rows_is_plain_html()
    {
        _bunit.Renderer.SetRendererInfo(new RendererInfo("Static", isInteractive: false));
        _fleet.HostConnected(new Hello { HostName = "nas" });
        Report("nas", [.. Enumerable.Range(0, 50).Select(i => ($"svc-{i:D2}", SyncStatus.Synced, HealthStatus.Healthy))]);

        var page = RenderFleet();

        Assert.Equal(30, page.FindAll("[data-testid^=row-]").Count);
        Assert.Equal("Synced 50", page.Find("[data-testid=count-sync-Synced]").TextContent.Trim());
    }

    [Fact]
    public void A_change_that_starts_waiting_for_approval_is_pushed_to_the_open_page_and_leaves_when_approved()
    {
        _fleet.HostConnected(new Hello { HostName = "nas" });
        Report("nas", ("web", SyncStatus.Synced, HealthStatus.Healthy));
        var page = RenderFleet();
        Assert.Empty(page.FindAll("[data-testid=pending-approvals]"));
        var plan = System.Text.Json.JsonSerializer.Serialize(
            new ChangePlan([new ServiceChange("web", "change", ["environment"], null, null)], []), new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web));
        var state = new AppHostStateRecord { App = "shop", Host = "nas", Pending = [1], PendingPlan = plan, PendingCommit = "abc", PendingMessage = "Greet in French", PendingSince = DateTimeOffset.UtcNow };

        _feed.Changed(state);

        page.WaitForAssertion(() =>
        {
            var banner = page.Find("[data-testid=pending-approvals]").TextContent;
            Assert.Contains("1 change waits for approval", banner);
            Assert.Contains("shop on nas", banner);
            Assert.Contains("web: change (environment)", banner);
        }, TimeSpan.FromSeconds(5));

        state.Pending = null;
        _feed.Changed(state);

        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=pending-approvals]")), TimeSpan.FromSeconds(5));
    }

    private void Report(string host, params (string Service, SyncStatus Sync, HealthStatus Health)[] services)
    {
        var report = new StatusReport();
        report.Services.AddRange(services.Select(s => new ServiceStatus { App = "shop", Service = s.Service, Sync = s.Sync, Health = s.Health, Image = "web:1" }));
        _fleet.ApplyStatus(host, report);
    }
}
