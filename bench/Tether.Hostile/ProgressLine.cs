using System.Globalization;
using System.Text;
using Tether.Hostile.Good;
using Tether.Hostile.Kinds;
using Tether.Hostile.Monitoring;
using Tether.Hostile.Reporting;

namespace Tether.Hostile;

/// <summary>The once-a-second progress line on stderr.</summary>
internal static class ProgressLine
{
    public static string Format(TimeSpan elapsed, IEnumerable<(KindTally Tally, PeerContext Context)> kinds, GoodFleet good, long? rss, int openSockets)
    {
        var counts = good.Counts;
        var line = new StringBuilder();
        line.Append(CultureInfo.InvariantCulture, $"[{elapsed.TotalSeconds,5:0}s] good sent {counts.Sent} echoed {counts.Echoed} disconnects {good.Disconnects}");
        foreach (var (tally, context) in kinds.Where(k => k.Tally.Peers > 0))
        {
            // Continuous kinds show connections opened; the others peers finished / launched / planned.
            if (tally.Kind.Continuous)
            {
                line.Append(CultureInfo.InvariantCulture, $" | {tally.Kind.Name} {context.Attempts} conns");
            }
            else
            {
                line.Append(CultureInfo.InvariantCulture, $" | {tally.Kind.Name} {tally.Finished}/{tally.Launched}/{tally.Peers}");
            }
        }

        line.Append(CultureInfo.InvariantCulture, $" | sockets {openSockets} | server RSS {Units.MiB(rss)}");
        return line.ToString();
    }
}
