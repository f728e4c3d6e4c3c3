using System.Globalization;
using System.Text.RegularExpressions;

namespace Tether.Bench.Infra;

/// <summary>Fills bench/Peers/Mosquitto/mosquitto.conf.template: the port (and a data folder, if the template asks for one).</summary>
internal static partial class MosquittoConfig
{
    public static string Fill(string template, int port, string workDirectory)
    {
        var portText = port.ToString(CultureInfo.InvariantCulture);
        var filled = Placeholder().Replace(template, match => match.Groups["name"].Value.ToUpperInvariant() switch
        {
            "PORT" => portText,
            "DIR" or "DATA_DIR" or "WORK_DIR" => workDirectory,
            _ => match.Value,
        });
        if (filled == template)
        {
            throw new BenchException("bench/Peers/Mosquitto/mosquitto.conf.template has no port placeholder ({PORT}) for the orchestrator to fill");
        }

        return filled;
    }

    [GeneratedRegex(@"\{\{\s*(?<name>[A-Z_]+)\s*\}\}|\$?\{(?<name>[A-Z_]+)\}|@(?<name>[A-Z_]+)@")]
    private static partial Regex Placeholder();
}
