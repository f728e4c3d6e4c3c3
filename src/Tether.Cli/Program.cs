using System.Text;
using Tether.Cli;

// Messages and server reasons are UTF-8 whatever the terminal's locale says.
Console.OutputEncoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
return await CliApp.RunAsync(args, Console.Error).ConfigureAwait(false);
