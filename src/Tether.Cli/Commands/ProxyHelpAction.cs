using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using Tether.Cli.Proxying;

namespace Tether.Cli.Commands;

/// <summary>
/// <c>tether proxy --help</c>: the standard help followed by the commands the proxy reads on stdin. System.CommandLine
/// keeps its help layout internal, so the section is appended after the standard output rather than laid out by it;
/// the root help only shows the one-paragraph description.
/// </summary>
internal sealed class ProxyHelpAction : SynchronousCommandLineAction
{
    private readonly HelpAction _standard = new();

    public override int Invoke(ParseResult parseResult)
    {
        var result = _standard.Invoke(parseResult);
        var output = parseResult.InvocationConfiguration.Output;
        output.WriteLine("Commands on stdin (one per line; replies go to stdout):");
        output.WriteLine(ProxyInstructionParser.FormatCommands());
        output.WriteLine();
        return result;
    }
}
