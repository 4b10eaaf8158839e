using Bunit;
using ConOps.Console.Components.Pages;
using ConOps.Contract;

namespace ConOps.Tests.Components;

/// <summary>The app page's desired-versus-live table, rendered with what an agent reports.</summary>
public sealed class ServiceDiffTests : IAsyncLifetime
{
    private readonly BunitContext _bunit = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _bunit.DisposeAsync();

    [Fact]
    public void Drifted_fields_show_the_live_values_the_agent_read_back_and_never_an_environment_value()
    {
        var spec = new ServiceSpec { Name = "web", Image = "web:1", Restart = "unless-stopped", Resources = new Resources { MemoryBytes = 134217728 } };
        spec.Environment.Add("GREETING", "hello");
        spec.Environment.Add("MODE", "prod");
        var live = new ServiceStatus
        {
            App = "shop",
            Service = "web",
            Sync = SyncStatus.OutOfSync,
            ContainerId = "0123456789abcdef",
            Image = "web:1",
            ConfigHash = "v1:sha256:a",
        };
        live.DriftedFields.AddRange(["resources.memory", "environment"]);
        live.LiveValues.Add("resources.memory", "268435456");
        live.LiveValues.Add("environment", "GREETING,DEBUG");

        var table = _bunit.Render<ServiceDiff>(p => p
            .Add(d => d.Host, "nas")
            .Add(d => d.Service, new DesiredService { Spec = spec, ConfigHash = "v1:sha256:a" })
            .Add(d => d.Live, live)
            .Add(d => d.DriftedFields, [.. live.DriftedFields]));

        var memory = table.Find("[data-testid='field-nas-web-resources.memoryBytes']");
        Assert.Contains("conops-drifted", memory.ClassList);
        Assert.Equal(["resources.memoryBytes", "134217728 (128 MiB)", "268435456 (256 MiB)"], memory.Children.Select(c => c.TextContent));
        var greeting = table.Find("[data-testid='field-nas-web-environment.GREETING']");
        Assert.Equal(["environment.GREETING", "hello", "differs (value not shown)"], greeting.Children.Select(c => c.TextContent));
        var added = table.Find("[data-testid='field-nas-web-environment.DEBUG']");
        Assert.Equal(["environment.DEBUG", "not in Git", "differs (value not shown)"], added.Children.Select(c => c.TextContent));
        // MODE is named by the drifted word "environment" but did not differ: no live value is invented for it.
        Assert.Equal("differs", table.Find("[data-testid='field-nas-web-environment.MODE']").Children[2].TextContent);
        Assert.Equal("as desired", table.Find("[data-testid='field-nas-web-restart']").Children[2].TextContent);
    }

    [Fact]
    public void Without_live_values_a_drifted_field_says_it_differs()
    {
        var spec = new ServiceSpec { Name = "web", Image = "web:1", Restart = "always" };
        var live = new ServiceStatus { App = "shop", Service = "web", ContainerId = "abc", Image = "web:1" };
        live.DriftedFields.Add("restart");

        var table = _bunit.Render<ServiceDiff>(p => p
            .Add(d => d.Host, "nas")
            .Add(d => d.Service, new DesiredService { Spec = spec })
            .Add(d => d.Live, live)
            .Add(d => d.DriftedFields, ["restart"]));

        Assert.Equal("differs", table.Find("[data-testid='field-nas-web-restart']").Children[2].TextContent);
        Assert.Equal("web:1", table.Find("[data-testid='field-nas-web-image']").Children[2].TextContent);
    }

    [Fact]
    public void A_limit_set_by_hand_shows_its_size_and_a_changed_image_shows_what_runs()
    {
        // Given a service whose image changed in Git while the old container still runs with a memory limit set by hand
        var spec = new ServiceSpec { Name = "web", Image = "registry.local/web:2" };
        var live = new ServiceStatus { App = "shop", Service = "web", ContainerId = "abc", Image = "registry.local/web:1", ConfigHash = "v1:sha256:old" };
        live.DriftedFields.AddRange(["image", "resources.memory"]);
        live.LiveValues.Add("resources.memory", "67108864");

        var table = _bunit.Render<ServiceDiff>(p => p
            .Add(d => d.Host, "nas")
            .Add(d => d.Service, new DesiredService { Spec = spec, ConfigHash = "v1:sha256:new" })
            .Add(d => d.Live, live)
            .Add(d => d.DriftedFields, [.. live.DriftedFields]));

        // Then the image row shows the image that runs, and the limit Git does not set reads as a size
        Assert.Equal(["image", "registry.local/web:2", "registry.local/web:1"], table.Find("[data-testid='field-nas-web-image']").Children.Select(c => c.TextContent));
        Assert.Equal(["resources.memory", "not in Git", "67108864 (64 MiB)"], table.Find("[data-testid='field-nas-web-resources.memory']").Children.Select(c => c.TextContent));
    }

    [Theory]
    [InlineData("resources.memoryBytes", "1536", "1536 (1.5 KiB)")]
    [InlineData("resources.memswapBytes", "2147483648", "2147483648 (2 GiB)")]
    [InlineData("shmSize", "67108864", "67108864 (64 MiB)")]
    [InlineData("resources.memoryBytes", "512", "512")]
    [InlineData("resources.cpus", "1073741824", "1073741824")]
    [InlineData("resources.memory", "unlimited", "unlimited")]
    public void Byte_counts_read_as_sizes(string path, string value, string shown) =>
        Assert.Equal(shown, SpecFields.Display(path, value));
}
