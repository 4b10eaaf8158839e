using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace ConOps.Agent.Observability;

/// <summary>
/// The standalone agent's Prometheus exporter: a <see cref="MeterListener"/> on one meter that keeps
/// counter sums, histogram buckets and gauge values per label set, and writes them in the Prometheus text
/// format (0.0.4) with the same names the console's OpenTelemetry exporter gives the same instruments
/// (<c>conops.agent.log.bytes</c> in <c>By</c> -> <c>conops_agent_log_bytes_total</c>). A few hundred lines
/// instead of the OpenTelemetry SDK keep the Native AOT agent small: see docs/bench/footprint.md.
/// </summary>
public sealed class PrometheusText : IDisposable
{
    /// <summary>Histogram bucket bounds in the instrument's unit (seconds for every agent histogram).</summary>
    public static readonly double[] Buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

    private readonly MeterListener _listener = new();
    private readonly Lock _gate = new();
    private readonly Dictionary<Instrument, InstrumentState> _instruments = [];
    private readonly string _targetInfo;

    /// <param name="meterName">The meter to export, e.g. <see cref="AgentMetrics.MeterName"/>.</param>
    /// <param name="resource">Resource attributes for <c>target_info</c>, e.g. service.name and service.version.</param>
    public PrometheusText(string meterName, IEnumerable<KeyValuePair<string, string>> resource)
    {
        _targetInfo = "# HELP target_info Target metadata\n# TYPE target_info gauge\ntarget_info{"
            + string.Join(',', resource.Select(a => $"{LabelName(a.Key)}=\"{Escape(a.Value)}\"")) + "} 1\n";
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == meterName)
            {
                lock (_gate)
                {
                    _instruments[instrument] = new InstrumentState(instrument);
                }
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, value, tags, _) => Record(i, value, tags));
        _listener.SetMeasurementEventCallback<int>((i, value, tags, _) => Record(i, value, tags));
        _listener.SetMeasurementEventCallback<double>((i, value, tags, _) => Record(i, value, tags));
        _listener.Start();
    }

    /// <summary>Prometheus' text exposition content type.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>The current values of every instrument (observable gauges are read now).</summary>
    public string Write()
    {
        var text = new StringBuilder(_targetInfo);
        lock (_gate)
        {
            _listener.RecordObservableInstruments();
            foreach (var state in _instruments.Values.OrderBy(s => s.Name, StringComparer.Ordinal))
            {
                state.WriteTo(text);
            }
        }
        return text.ToString();
    }

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var labels = Labels(instrument.Meter.Name, tags);
        lock (_gate)
        {
            if (_instruments.TryGetValue(instrument, out var state))
            {
                state.Record(labels, value);
            }
        }
    }

    /// <summary><c>{otel_scope_name="ConOps.Agent",action="created"}</c>: the scope first, then the tags by name.</summary>
    private static string Labels(string scope, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var labels = new StringBuilder("otel_scope_name=\"").Append(Escape(scope)).Append('"');
        var sorted = tags.ToArray();
        Array.Sort(sorted, (a, b) => string.CompareOrdinal(a.Key, b.Key));
        foreach (var tag in sorted)
        {
            labels.Append(',').Append(LabelName(tag.Key)).Append("=\"")
                .Append(Escape(Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? "")).Append('"');
        }
        return labels.ToString();
    }

    /// <summary>Metric and label names allow [a-zA-Z0-9_:] only; dots and the rest become underscores.</summary>
    internal static string LabelName(string name) =>
        string.Create(name.Length, name, (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                var c = source[i];
                span[i] = char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_';
            }
        });

    internal static string Escape(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    internal static string Number(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf" : double.IsNegativeInfinity(value) ? "-Inf" : value.ToString(CultureInfo.InvariantCulture);

    /// <summary>The Prometheus name OpenTelemetry gives an instrument: dots to underscores, the unit appended, <c>_total</c> for counters.</summary>
    internal static string MetricName(Instrument instrument)
    {
        var name = LabelName(instrument.Name);
        var unit = instrument.Unit switch
        {
            "s" => "seconds",
            "ms" => "milliseconds",
            "By" => "bytes",
            "1" or null or "" => "",
            { } u when u.StartsWith('{') => "",
            { } u => LabelName(u),
        };
        if (unit.Length > 0 && !name.EndsWith("_" + unit, StringComparison.Ordinal))
        {
            name += "_" + unit;
        }
        return instrument is Counter<long> or Counter<int> or Counter<double> or ObservableCounter<long> or ObservableCounter<int> or ObservableCounter<double>
            ? name + "_total"
            : name;
    }

    private sealed class InstrumentState(Instrument instrument)
    {
        private readonly Dictionary<string, Series> _series = new(StringComparer.Ordinal);
        private readonly string _type = instrument switch
        {
            Histogram<double> or Histogram<long> or Histogram<int> => "histogram",
            Counter<long> or Counter<int> or Counter<double> or ObservableCounter<long> or ObservableCounter<int> or ObservableCounter<double> => "counter",
            _ => "gauge",
        };

        public string Name { get; } = MetricName(instrument);

        public void Record(string labels, double value)
        {
            if (!_series.TryGetValue(labels, out var series))
            {
                series = new Series(_type == "histogram" ? new long[Buckets.Length] : null);
                _series[labels] = series;
            }
            switch (_type)
            {
                case "histogram":
                    series.Count++;
                    series.Sum += value;
                    var bucket = Array.FindIndex(Buckets, b => value <= b);
                    if (bucket >= 0)
                    {
                        series.Buckets![bucket]++;
                    }
                    break;
                case "counter" when instrument.IsObservable:
                case "gauge":
                    series.Sum = value;
                    break;
                default:
                    series.Sum += value;
                    break;
            }
        }

        public void WriteTo(StringBuilder text)
        {
            if (!string.IsNullOrEmpty(instrument.Description))
            {
                text.Append("# HELP ").Append(Name).Append(' ').Append(instrument.Description.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)).Append('\n');
            }
            text.Append("# TYPE ").Append(Name).Append(' ').Append(_type).Append('\n');
            foreach (var (labels, series) in _series.OrderBy(s => s.Key, StringComparer.Ordinal))
            {
                if (_type != "histogram")
                {
                    text.Append(Name).Append('{').Append(labels).Append("} ").Append(Number(series.Sum)).Append('\n');
                    continue;
                }
                long cumulative = 0;
                for (var i = 0; i < Buckets.Length; i++)
                {
                    cumulative += series.Buckets![i];
                    text.Append(Name).Append("_bucket{").Append(labels).Append(",le=\"").Append(Number(Buckets[i])).Append("\"} ").Append(cumulative).Append('\n');
                }
                text.Append(Name).Append("_bucket{").Append(labels).Append(",le=\"+Inf\"} ").Append(series.Count).Append('\n');
                text.Append(Name).Append("_sum{").Append(labels).Append("} ").Append(Number(series.Sum)).Append('\n');
                text.Append(Name).Append("_count{").Append(labels).Append("} ").Append(series.Count).Append('\n');
            }
        }
    }

    private sealed class Series(long[]? buckets)
    {
        public long[]? Buckets { get; } = buckets;

        public double Sum { get; set; }

        public long Count { get; set; }
    }
}
