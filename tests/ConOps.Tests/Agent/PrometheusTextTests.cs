using System.Diagnostics.Metrics;
using ConOps.Agent.Observability;

namespace ConOps.Tests.Agent;

public sealed class PrometheusTextTests
{
    [Fact]
    public void Writes_counters_histograms_and_gauges_with_the_names_the_console_exporter_uses()
    {
        var meterName = "ConOps.Test." + Guid.NewGuid().ToString("N");
        using var exporter = new PrometheusText(meterName, [new("service.name", "conops-agent"), new("service.version", "1.2.3")]);
        using var meter = new Meter(meterName);
        var applies = meter.CreateCounter<long>("conops.agent.service.applies", "{service}", "Per-service apply actions.");
        var bytes = meter.CreateCounter<long>("conops.agent.log.bytes", "By", "Log bytes.");
        var duration = meter.CreateHistogram<double>("conops.agent.reconcile.duration", "s", "Time to reconcile one app.");
        var connected = 1;
        meter.CreateObservableGauge("conops.agent.console.connected", () => connected, description: "1 while connected.");

        applies.Add(2, new KeyValuePair<string, object?>("action", "created"));
        applies.Add(1, new KeyValuePair<string, object?>("action", "rolled-back"));
        applies.Add(1, new KeyValuePair<string, object?>("action", "created"));
        bytes.Add(1000);
        bytes.Add(24);
        duration.Record(0.004);
        duration.Record(0.3);
        duration.Record(500);

        var text = exporter.Write();

        var scope = $"otel_scope_name=\"{meterName}\"";
        Assert.StartsWith("# HELP target_info Target metadata\n# TYPE target_info gauge\ntarget_info{service_name=\"conops-agent\",service_version=\"1.2.3\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains($"# HELP conops_agent_service_applies_total Per-service apply actions.\n# TYPE conops_agent_service_applies_total counter\nconops_agent_service_applies_total{{{scope},action=\"created\"}} 3\nconops_agent_service_applies_total{{{scope},action=\"rolled-back\"}} 1\n", text, StringComparison.Ordinal);
        Assert.Contains($"# TYPE conops_agent_log_bytes_total counter\nconops_agent_log_bytes_total{{{scope}}} 1024\n", text, StringComparison.Ordinal);
        Assert.Contains($"# TYPE conops_agent_console_connected gauge\nconops_agent_console_connected{{{scope}}} 1\n", text, StringComparison.Ordinal);
        Assert.Contains($"# TYPE conops_agent_reconcile_duration_seconds histogram\n", text, StringComparison.Ordinal);
        Assert.Contains($"conops_agent_reconcile_duration_seconds_bucket{{{scope},le=\"0.005\"}} 1\n", text, StringComparison.Ordinal);
        Assert.Contains($"conops_agent_reconcile_duration_seconds_bucket{{{scope},le=\"0.25\"}} 1\n", text, StringComparison.Ordinal);
        Assert.Contains($"conops_agent_reconcile_duration_seconds_bucket{{{scope},le=\"0.5\"}} 2\n", text, StringComparison.Ordinal);
        Assert.Contains($"conops_agent_reconcile_duration_seconds_bucket{{{scope},le=\"120\"}} 2\n", text, StringComparison.Ordinal);
        Assert.Contains($"conops_agent_reconcile_duration_seconds_bucket{{{scope},le=\"+Inf\"}} 3\n", text, StringComparison.Ordinal);
        Assert.Contains($"conops_agent_reconcile_duration_seconds_sum{{{scope}}} 500.304\n", text, StringComparison.Ordinal);
        Assert.Contains($"conops_agent_reconcile_duration_seconds_count{{{scope}}} 3\n", text, StringComparison.Ordinal);

        // Gauges are read at scrape time
        connected = 0;
        Assert.Contains($"conops_agent_console_connected{{{scope}}} 0\n", exporter.Write(), StringComparison.Ordinal);
    }

    [Fact]
    public void Escapes_label_values_and_ignores_other_meters()
    {
        var meterName = "ConOps.Test." + Guid.NewGuid().ToString("N");
        using var exporter = new PrometheusText(meterName, [new("host.name", "a \"quoted\"\\name\nx")]);
        using var other = new Meter(meterName + ".other");
        other.CreateCounter<long>("conops.other").Add(1);
        using var meter = new Meter(meterName);
        meter.CreateCounter<long>("conops.test.events").Add(1, new KeyValuePair<string, object?>("reason", "bad \"input\""));

        var text = exporter.Write();

        Assert.Contains("target_info{host_name=\"a \\\"quoted\\\"\\\\name\\nx\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("conops_test_events_total{otel_scope_name=\"" + meterName + "\",reason=\"bad \\\"input\\\"\"} 1\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("conops_other", text, StringComparison.Ordinal);
    }
}
