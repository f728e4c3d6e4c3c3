using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Tether.Server;

namespace Tether.Cli.Serving;

/// <summary>Everything <c>tether serve</c> settled from its flags, file and environment before anything starts.</summary>
/// <param name="Options">The server's options, validated.</param>
/// <param name="App">What to do with each message.</param>
/// <param name="PortFile">Where to write the bound ports, or null.</param>
/// <param name="LogLevel">Minimum log level.</param>
/// <param name="JsonLog">JSON lines instead of text lines.</param>
/// <param name="StopOnStdinEnd">Stop gracefully when stdin ends.</param>
/// <param name="Parse">The command line completed with the configured values, for flags read later.</param>
/// <param name="Configuration">The --config file and the environment, for settings read later.</param>
internal sealed record ServeSettings(
    TetherServerOptions Options,
    ServeApp App,
    string? PortFile,
    LogLevel LogLevel,
    bool JsonLog,
    bool StopOnStdinEnd,
    ParseResult Parse,
    IConfiguration Configuration);
