using System.Text.Json;
using System.Text.Json.Nodes;
using ConOps.Agent.Docker;
using ConOps.Agent.Reconcile;
using ConOps.Contract;
using Google.Protobuf;

namespace ConOps.Tests.Agent;

/// <summary>
/// The pure planner from golden files: <c>testdata/agent/&lt;case&gt;/desired.json</c> (the app as the console
/// sends it; config hashes are computed when left out) and <c>observed.json</c> (what the list and inspect
/// showed) must plan exactly <c>expected-plan.json</c>. Set CONOPS_UPDATE_GOLDEN=1 to rewrite the expected
/// files after an intended change, then review the diff.
/// </summary>
public sealed class ReconcilePlanGoldenTests
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, WriteIndented = true };

    [Theory]
    [InlineData("fresh-install")]
    [InlineData("converged")]
    [InlineData("one-service-changed")]
    [InlineData("live-drift-and-states")]
    [InlineData("interrupted-replace")]
    [InlineData("orphans-prune-off")]
    [InlineData("orphans-prune-on")]
    [InlineData("dependency-problems")]
    [InlineData("scaled")]
    public void Plans_the_golden_case(string name)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "testdata", "agent", name);
        var app = JsonParser.Default.Parse<AppDesiredState>(File.ReadAllText(Path.Combine(folder, "desired.json")));
        foreach (var service in app.Services.Where(s => string.IsNullOrEmpty(s.ConfigHash)))
        {
            service.ConfigHash = ConfigHash.Compute(service.Spec);
        }
        var observed = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "observed.json")))!.AsArray().Select(n => Observed(n!.AsObject())).ToList();
        var force = File.Exists(Path.Combine(folder, "force"));

        var actual = Describe(ReconcilePlan.For(app, observed, force));

        var expectedPath = Path.Combine(folder, "expected-plan.json");
        if (Environment.GetEnvironmentVariable("CONOPS_UPDATE_GOLDEN") == "1")
        {
            var source = Path.Combine(FindRepoRoot(), "tests", "ConOps.Tests", "testdata", "agent", name, "expected-plan.json");
            File.WriteAllText(source, actual + "\n");
        }
        Assert.Equal(File.ReadAllText(expectedPath).TrimEnd(), actual);
    }

    /// <summary>
    /// An observed container from the fixture. <c>createdFrom</c> (a service spec) stands for the labels a
    /// container created from that spec carries: its config hash and per-field input hashes.
    /// </summary>
    private static ObservedContainer Observed(JsonObject node)
    {
        string Text(string key, string fallback = "") => node[key]?.GetValue<string>() ?? fallback;
        var hash = Text("configHash");
        var inputs = "";
        if (node["createdFrom"] is JsonObject createdFrom)
        {
            var spec = JsonParser.Default.Parse<ServiceSpec>(createdFrom.ToJsonString());
            hash = ConfigHash.Compute(spec);
            inputs = ConfigInputs.Label(spec);
        }
        return new ObservedContainer(Text("id"), Text("name"), Text("app"), Text("service"), hash, Text("revision"), Text("image"), Text("state", "running"), Text("status", "Up 1 minute"))
        {
            ConfigInputs = inputs,
            ExitCode = node["exitCode"]?.GetValue<long>() ?? 0,
            OomKilled = node["oomKilled"]?.GetValue<bool>() ?? false,
            Number = node["number"]?.GetValue<int>() ?? 1,
            LiveDrift = node["liveDrift"]?.AsArray().Select(x => x!.GetValue<string>()).ToList() ?? [],
        };
    }

    private static string Describe(ReconcilePlan plan) => JsonSerializer.Serialize(new
    {
        app = plan.App,
        services = plan.Services.Select(s => new
        {
            name = s.Name,
            replica = s.Number,
            action = s.Action.ToString(),
            container = s.Current?.Name,
            driftedFields = s.DriftedFields,
            reason = s.Reason,
            completed = s.Completed,
            rename = s.Rename,
        }),
        remove = plan.ToRemove.Select(r => new { container = r.Container.Name, reason = r.Reason }),
        orphans = plan.Orphans.Select(o => o.Name),
        problems = plan.Problems,
    }, Json);

    internal static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ConOps.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}
