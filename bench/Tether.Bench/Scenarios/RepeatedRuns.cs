using System.Globalization;
using Tether.Bench.Infra;
using Tether.Bench.Reporting;

namespace Tether.Bench.Scenarios;

/// <summary>
/// Runs one measurement per run into a table of rows labelled by run number; a failed run keeps its row with the error
/// and the others go on. With more than one run the table of medians follows.
/// </summary>
internal static class RepeatedRuns
{
    public static async Task AddToAsync(Report report, BenchContext context, Metric[] metrics, int count, Func<int, ResultRow, Task> measure)
    {
        var runs = new ResultTable("runs", "every run", metrics, "run") { TextColumns = { ("error", "error") } };
        for (var run = 1; run <= count; run++)
        {
            var row = new ResultRow(run.ToString(CultureInfo.InvariantCulture));
            runs.Rows.Add(row);
            try
            {
                await measure(run, row).ConfigureAwait(false);
            }
            catch (BenchException ex)
            {
                row.Texts["error"] = ex.Message;
                context.Note($"run {run}: {ex.Message}");
            }
        }

        report.Tables.Add(runs);
        if (count > 1)
        {
            report.Tables.Add(runs.Medians("medians", $"medians of {count} runs", _ => "median"));
        }
    }
}
