using ConOps.Console.Api;
using ConOps.Console.Auth;
using ConOps.Console.Components.Pages;
using ConOps.Console.Components.Pages.Account;
using ConOps.Console.Components.Shared;
using ConOps.Contract;
using Microsoft.Extensions.Logging.Abstractions;

namespace ConOps.Tests.Components;

public sealed class PageLogicTests
{
    private static ServiceDto Row(string host, string app, string name, string sync = "Synced", string health = "Healthy", string image = "web:1", string[]? drifted = null) =>
        new(host, app, name, "synced", sync, health, "", null, image, "", "", "", null, null, drifted ?? [], new Dictionary<string, string>(), true, DateTimeOffset.UnixEpoch);

    [Fact]
    public void An_app_whose_source_fails_before_anything_runs_shows_the_error_not_a_green_zero()
    {
        Assert.Equal([new Apps.Badge("conops-health-degraded", "error: nothing deployed")], Apps.ServiceBadges([], sourceFails: true));
        Assert.Equal([new Apps.Badge("conops-sync-unknown", "no services yet")], Apps.ServiceBadges([], sourceFails: false));
    }

    [Fact]
    public void An_apps_service_badges_count_each_state_and_leave_out_zeros()
    {
        var rows = new[] { Row("nas", "shop", "web"), Row("nas", "shop", "db", sync: "OutOfSync", health: "Degraded") };

        Assert.Equal(["1 synced", "1 not synced", "1 unhealthy"], Apps.ServiceBadges(rows, sourceFails: true).Select(b => b.Text));
        Assert.Equal(["1 not synced"], Apps.ServiceBadges([Row("nas", "shop", "db", sync: "OutOfSync")], sourceFails: false).Select(b => b.Text));
    }

    [Fact]
    public void The_fleet_filter_combines_facets_and_searches_names_images_and_drifted_fields()
    {
        var rows = new[]
        {
            Row("nas", "shop", "web"),
            Row("nas", "shop", "db", sync: "OutOfSync", drifted: ["environment"]),
            Row("pi", "blog", "web", image: "ghost:5"),
        };

        Assert.Equal(3, new FleetFilter().Apply(rows).Count);
        Assert.Equal(["db"], new FleetFilter(Sync: "OutOfSync").Apply(rows).Select(r => r.Name));
        Assert.Equal(["pi"], new FleetFilter(Search: "GHOST").Apply(rows).Select(r => r.Host));
        Assert.Equal(["db"], new FleetFilter(Search: "environ").Apply(rows).Select(r => r.Name));
        Assert.Empty(new FleetFilter(Host: "pi", App: "shop").Apply(rows));
        var counts = FleetCounts.Of(rows);
        Assert.Equal(2, counts.Sync["Synced"]);
        Assert.Equal(0, counts.Health["Degraded"]);
    }

    [Fact]
    public void A_desired_service_flattens_to_named_fields_and_drift_words_mark_them()
    {
        var spec = new ServiceSpec { Name = "web", Image = "web:1", Restart = "always" };
        spec.Environment.Add("GREETING", "hello");
        spec.Ports.Add(new PortBinding { Target = 8080, Published = 18080, Protocol = "tcp" });
        spec.CapAdd.Add("NET_ADMIN");

        var fields = SpecFields.Flatten(spec);

        Assert.Contains(new SpecField("environment.GREETING", "hello"), fields);
        Assert.Contains(new SpecField("ports[0].target", "8080"), fields);
        Assert.DoesNotContain(fields, f => f.Path == "privileged");
        var environment = fields.Single(f => f.Path == "environment.GREETING");
        Assert.True(SpecFields.IsDrifted(environment, ["environment"]));
        Assert.False(SpecFields.IsDrifted(environment, ["image"]));
        Assert.True(SpecFields.IsDrifted(fields.Single(f => f.Path == "capAdd[0]"), ["cap_add"]));
    }

    [Fact]
    public void Live_values_land_next_to_the_desired_field_they_name_and_environment_values_stay_hidden()
    {
        var spec = new ServiceSpec { Name = "web", Image = "web:1", Restart = "always", Resources = new Resources { MemoryBytes = 134217728 } };
        spec.Environment.Add("GREETING", "hello");
        spec.Ports.Add(new PortBinding { Target = 8080, Published = 18080, Protocol = "tcp" });
        var fields = SpecFields.Flatten(spec);
        var live = new Dictionary<string, string>
        {
            ["memory"] = "268435456",
            ["restart"] = "no",
            ["environment"] = "GREETING, DEBUG",
            ["ports"] = "18081:8080/tcp",
        };

        var match = SpecFields.MatchLive(fields, live);

        Assert.Equal("268435456", match.ByPath["resources.memoryBytes"]);
        Assert.Equal("no", match.ByPath["restart"]);
        Assert.Equal(SpecFields.HiddenValue, match.ByPath["environment.GREETING"]);
        Assert.DoesNotContain(match.ByPath.Values, v => v.Contains("hello", StringComparison.Ordinal));
        Assert.Equal([new SpecField("environment.DEBUG", SpecFields.HiddenValue), new SpecField("ports", "18081:8080/tcp")], match.Extra);
        Assert.Equal("268435456", SpecFields.MatchLive(fields, new Dictionary<string, string> { ["resources.memory"] = "268435456" }).ByPath["resources.memoryBytes"]);
        Assert.Empty(SpecFields.MatchLive(fields, new Dictionary<string, string>()).ByPath);
    }

    [Fact]
    public void Control_characters_in_desired_values_are_shown_as_escapes() =>
        Assert.Equal("printf '\\x1b[32mtick'", SpecFields.Visible("printf '\u001b[32mtick'"));

    [Theory]
    [InlineData(null, "/")]
    [InlineData("history", "/history")]
    [InlineData("/apps/web", "/apps/web")]
    [InlineData("//evil.example/", "/")]
    [InlineData("https://evil.example/", "/")]
    [InlineData("/\\evil.example", "/")]
    public void Sign_in_only_returns_to_local_pages(string? returnUrl, string expected) =>
        Assert.Equal(expected, LoginPage.SafeReturnUrl(returnUrl));

    [Fact]
    public void The_setup_code_works_once_ignores_case_and_dashes_and_is_replaced_after_five_wrong_guesses()
    {
        var setup = new SetupCode(NullLogger<SetupCode>.Instance);
        Assert.False(setup.Pending);
        setup.Issue("http://x/setup");
        Assert.True(setup.Pending);
        for (var i = 0; i < 5; i++)
        {
            Assert.False(setup.TryRedeem("AAAA-AAAA-AAAA", "http://x/setup"));
        }
        // The code changed after five misses; nobody can brute-force a fixed one.
        Assert.True(setup.Pending);
        Assert.False(setup.TryRedeem(null, "http://x/setup"));
    }

    [Fact]
    public void Roles_include_the_ones_below_them()
    {
        Assert.Equal([Roles.Viewer, Roles.Operator, Roles.Admin], Roles.Including(Roles.Admin));
        Assert.True(Roles.Satisfies(Roles.Admin, Roles.Operator));
        Assert.False(Roles.Satisfies(Roles.Viewer, Roles.Operator));
        var principal = UserAccounts.Principal("ann", Roles.Operator, "test");
        Assert.True(principal.IsInRole(Roles.Viewer));
        Assert.False(principal.IsInRole(Roles.Admin));
        Assert.Equal(Roles.Operator, principal.HighestRole());
    }

    [Theory]
    [InlineData(0.25, "250 ms")]
    [InlineData(12, "12 s")]
    [InlineData(125, "2 min 5 s")]
    [InlineData(7260, "2 h 1 min")]
    [InlineData(200_000, "2 d 7 h")]
    public void Durations_read_naturally(double seconds, string expected) =>
        Assert.Equal(expected, Format.Duration(TimeSpan.FromSeconds(seconds)));
}
