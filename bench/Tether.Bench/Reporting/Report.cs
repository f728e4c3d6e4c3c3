using System.Text.Json.Nodes;
using Tether.Bench.Infra;

namespace Tether.Bench.Reporting;

/// <summary>How a metric is printed in the table (the JSON always has the plain number).</summary>
internal enum MetricFormat
{
    Count,
    Bytes,
    BytesExact,
    Percent,
    Milliseconds,
    Rate,
    Ratio,
    Seconds,
}

/// <summary>One column: its JSON key, table header and format.</summary>
internal sealed record Metric(string Key, string Header, MetricFormat Format);

/// <summary>One row of a table: a label (server, run) and its values by metric key; text cells for verdicts.</summary>
internal sealed class ResultRow
{
    public ResultRow(string label) => Label = label;

    public string Label { get; }

    public Dictionary<string, double?> Values { get; } = [];

    public Dictionary<string, string> Texts { get; } = [];

    /// <summary>Extra JSON fields for this row (server, run number, details that have no column).</summary>
    public JsonObject Extra { get; } = [];

    public double? this[string key]
    {
        get => Values.TryGetValue(key, out var value) ? value : null;
        set => Values[key] = value;
    }
}

/// <summary>A table of rows over the same metrics, e.g. every run, the medians or the ratios.</summary>
internal sealed class ResultTable
{
    public ResultTable(string key, string title, IReadOnlyList<Metric> metrics, string labelHeader = "server")
    {
        Key = key;
        Title = title;
        Metrics = metrics;
        LabelHeader = labelHeader;
    }

    /// <summary>The property name in the JSON report ("runs", "medians", "ratios").</summary>
    public string Key { get; }

    public string Title { get; }

    public string LabelHeader { get; }

    public IReadOnlyList<Metric> Metrics { get; }

    public List<ResultRow> Rows { get; } = [];

    /// <summary>In the JSON only (e.g. the single run that the "results" table repeats).</summary>
    public bool HiddenInTable { get; set; }

    /// <summary>Extra text cells shown after the metrics, by key (e.g. "verdict").</summary>
    public List<(string Key, string Header)> TextColumns { get; } = [];

    public JsonArray ToJson()
    {
        var rows = new JsonArray();
        foreach (var row in Rows)
        {
            var item = new JsonObject { [LabelHeader] = row.Label };
            foreach (var (key, value) in row.Extra)
            {
                item[key] = value?.DeepClone();
            }

            foreach (var metric in Metrics)
            {
                item[metric.Key] = Json.Value(row[metric.Key]);
            }

            foreach (var (key, _) in TextColumns)
            {
                if (row.Texts.TryGetValue(key, out var text))
                {
                    item[key] = text;
                }
            }

            rows.Add(item);
        }

        return rows;
    }

    /// <summary>
    /// Per group (e.g. server), the median of every metric over the rows with that label,
    /// in first-seen order.
    /// </summary>
    public ResultTable Medians(string key, string title, Func<ResultRow, string> group)
    {
        var medians = new ResultTable(key, title, Metrics, LabelHeader);
        foreach (var rows in Rows.GroupBy(group))
        {
            var row = new ResultRow(rows.Key);
            row.Extra["runs"] = rows.Count();
            foreach (var metric in Metrics)
            {
                row[metric.Key] = Stats.Median(rows.Select(r => r[metric.Key]));
            }

            medians.Rows.Add(row);
        }

        return medians;
    }

    /// <summary>
    /// <paramref name="subject"/> / peer for every other row and every metric (one row per peer, "tether / kestrel"),
    /// or, with <paramref name="reversed"/>, row / <paramref name="subject"/> (every row against one reference).
    /// </summary>
    public ResultTable Ratios(string key, string title, string subject, bool reversed = false)
    {
        var ratioMetrics = Metrics.Select(m => m with { Format = MetricFormat.Ratio }).ToList();
        var ratios = new ResultTable(key, title, ratioMetrics, "ratio");
        var reference = Rows.FirstOrDefault(r => r.Label == subject);
        if (reference is null)
        {
            return ratios;
        }

        foreach (var other in Rows.Where(r => r != reference))
        {
            var row = new ResultRow(reversed ? $"{other.Label} / {subject}" : $"{subject} / {other.Label}");
            foreach (var metric in Metrics)
            {
                row[metric.Key] = reversed ? Stats.Ratio(other[metric.Key], reference[metric.Key]) : Stats.Ratio(reference[metric.Key], other[metric.Key]);
            }

            ratios.Rows.Add(row);
        }

        return ratios;
    }
}

/// <summary>Everything one scenario reports: its parameters, tables, notes, the machine and the command lines.</summary>
internal sealed class Report
{
    public Report(string scenario, string summary)
    {
        Scenario = scenario;
        Summary = summary;
    }

    public string Scenario { get; }

    /// <summary>One line saying what was measured, with the parameters ("19,000 idle connections, heartbeat 30 s, ...").</summary>
    public string Summary { get; }

    public JsonObject Parameters { get; } = [];

    /// <summary>Adds parameters for the JSON report from name/value pairs (durations as "30s").</summary>
    public void AddParameters(params (string Name, object? Value)[] values)
    {
        foreach (var (name, value) in values)
        {
            Parameters[name] = value switch
            {
                null => null,
                TimeSpan span => Durations.Format(span),
                IEnumerable<string> list => new JsonArray(list.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray()),
                bool b => b,
                int i => i,
                long l => l,
                double d => d,
                _ => value.ToString(),
            };
        }
    }

    public List<ResultTable> Tables { get; } = [];

    /// <summary>Scenario-specific details for the JSON only (time series, per-message figures).</summary>
    public JsonObject Details { get; } = [];

    /// <summary>The process exit code the scenario asks for (churn: 3 when the server leaked).</summary>
    public int ExitCode { get; set; }
}
