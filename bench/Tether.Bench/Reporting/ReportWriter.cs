using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;
using Tether.Bench.Infra;

namespace Tether.Bench.Reporting;

/// <summary>Prints a report as tables (Spectre.Console) and, with --json, as one JSON object on the last line of stdout.</summary>
internal static class ReportWriter
{
    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    /// <summary>The tables on <paramref name="output"/>: stdout normally, stderr under --json so that stdout holds only the JSON.</summary>
    public static void WriteTables(Report report, JsonObject machine, IReadOnlyList<string> notes, TextWriter output, bool redirected)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = redirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = redirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
        });
        if (redirected)
        {
            console.Profile.Width = 240;
        }

        console.WriteLine();
        console.MarkupLine($"[bold]{Markup.Escape(report.Scenario)}[/]: {Markup.Escape(report.Summary)}");
        console.MarkupLine($"[grey]{Markup.Escape(MachineInfo.Describe(machine))}[/]");
        foreach (var table in report.Tables.Where(t => t.Rows.Count > 0 && !t.HiddenInTable))
        {
            var grid = new Table { Title = new TableTitle(table.Title), Border = TableBorder.Rounded };
            grid.AddColumn(new TableColumn(table.LabelHeader));
            foreach (var metric in table.Metrics)
            {
                grid.AddColumn(new TableColumn(metric.Header).RightAligned());
            }

            var textColumns = table.TextColumns.Where(c => table.Rows.Any(r => r.Texts.ContainsKey(c.Key))).ToList();
            foreach (var (_, header) in textColumns)
            {
                grid.AddColumn(new TableColumn(header));
            }

            foreach (var row in table.Rows)
            {
                var cells = new List<string> { Markup.Escape(row.Label) };
                cells.AddRange(table.Metrics.Select(m => Markup.Escape(Format(row[m.Key], m.Format))));
                cells.AddRange(textColumns.Select(c => Markup.Escape(row.Texts.GetValueOrDefault(c.Key, ""))));
                grid.AddRow(cells.ToArray());
            }

            console.Write(grid);
        }

        foreach (var note in notes)
        {
            console.MarkupLine($"[yellow]note:[/] {Markup.Escape(note)}");
        }
    }

    public static string ToJson(Report report, JsonObject machine, IReadOnlyList<string> notes, JsonArray commands, string workDirectory, double elapsedSeconds)
    {
        var json = new JsonObject
        {
            ["scenario"] = report.Scenario,
            ["summary"] = report.Summary,
            ["parameters"] = report.Parameters.DeepClone(),
        };
        foreach (var table in report.Tables)
        {
            json[table.Key] = table.ToJson();
        }

        foreach (var (key, value) in report.Details)
        {
            json[key] = value?.DeepClone();
        }

        json["notes"] = new JsonArray(notes.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray());
        json["machine"] = machine.DeepClone();
        json["commands"] = commands;
        json["work_directory"] = workDirectory;
        json["elapsed_s"] = Math.Round(elapsedSeconds, 1);
        json["finished_at"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        return json.ToJsonString(Compact);
    }

    public static string Format(double? value, MetricFormat format)
    {
        if (value is not { } v || double.IsNaN(v) || double.IsInfinity(v))
        {
            return "-";
        }

        var c = CultureInfo.InvariantCulture;
        return format switch
        {
            MetricFormat.Count => v.ToString("N0", c),
            MetricFormat.Bytes => FormatBytes(v),
            MetricFormat.BytesExact => v.ToString("N0", c) + " B",
            MetricFormat.Percent => v.ToString("F1", c) + " %",
            MetricFormat.Milliseconds => FormatMilliseconds(v),
            MetricFormat.Rate => v.ToString("N0", c) + "/s",
            MetricFormat.Ratio => v.ToString("F2", c) + "x",
            MetricFormat.Seconds => v.ToString("F2", c) + " s",
            _ => v.ToString(c),
        };
    }

    private static string FormatMilliseconds(double v)
    {
        var c = CultureInfo.InvariantCulture;
        return v switch
        {
            < 1 => v.ToString("F3", c) + " ms",
            < 100 => v.ToString("F2", c) + " ms",
            _ => v.ToString("N0", c) + " ms",
        };
    }

    private static string FormatBytes(double v)
    {
        var c = CultureInfo.InvariantCulture;
        var magnitude = Math.Abs(v);
        return magnitude switch
        {
            >= 1 << 30 => (v / (1 << 30)).ToString("F2", c) + " GiB",
            >= 1 << 20 => (v / (1 << 20)).ToString("F1", c) + " MiB",
            >= 1 << 10 => (v / (1 << 10)).ToString("F1", c) + " KiB",
            _ => v.ToString("F0", c) + " B",
        };
    }
}
