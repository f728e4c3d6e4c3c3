using System.CommandLine;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace Tether.Cli.Serving;

/// <summary>
/// Settings of <c>tether serve</c> from a <c>--config</c> JSON file and the environment, given to the command as if they
/// were flags (so each is parsed and checked exactly as its flag is). Precedence: flags, then environment variables,
/// then the file, then the defaults. A bad value is reported under its key rather than its flag.
/// </summary>
internal sealed class ServeConfiguration
{
    private readonly Dictionary<string, string> _keyOfInjectedFlag = new(StringComparer.Ordinal);

    private ServeConfiguration(IConfiguration configuration) => Configuration = configuration;

    /// <summary>The file and environment, for settings added later that have no flag.</summary>
    public IConfiguration Configuration { get; }

    /// <summary>Reads the file (if any; no reload on change, so no file watcher) and the environment variables.</summary>
    public static ServeConfiguration Load(string? configFile)
    {
        var builder = new ConfigurationBuilder();
        if (configFile is not null)
        {
            var path = Path.GetFullPath(configFile);
            if (!File.Exists(path))
            {
                throw new CliException($"--config: {configFile}: no such file");
            }

            builder.AddJsonFile(path, optional: false, reloadOnChange: false);
        }

        builder.AddEnvironmentVariables();
        try
        {
            return new ServeConfiguration(builder.Build());
        }
        catch (InvalidDataException ex)
        {
            throw new CliException($"--config: {configFile}: not valid JSON ({ex.InnerException?.Message ?? ex.Message})");
        }
    }

    /// <summary>
    /// The command line plus, for each flag of <see cref="ServeConfigKeys"/> not on it, the flag with its configured
    /// value; also checks that no unknown key hides in the Tether sections.
    /// </summary>
    public IReadOnlyList<string> Complete(Command command, ParseResult given, IReadOnlyList<string> args)
    {
        CheckUnknownKeys();
        var completed = new List<string>(args);
        foreach (var (flag, key) in ServeConfigKeys.All)
        {
            var option = command.Options.First(o => o.Name == flag);
            if (given.GetResult(option) is { Implicit: false })
            {
                continue;
            }

            var section = Configuration.GetSection(key);
            var values = section.Value is { } single ? [single] : section.GetChildren().Select(c => c.Value).OfType<string>().ToList();
            if (values.Count == 0)
            {
                continue;
            }

            _keyOfInjectedFlag[flag] = key;
            if (option.ValueType == typeof(bool))
            {
                // A switch: present when true.
                if (!bool.TryParse(values[0], out var on))
                {
                    throw new CliException($"{key}: '{values[0]}' is not true or false");
                }

                if (on)
                {
                    completed.Add(flag);
                }

                continue;
            }

            foreach (var value in values)
            {
                completed.Add(flag);
                completed.Add(value);
            }
        }

        return completed;
    }

    /// <summary>A message about a flag that came from the configuration, said with the key instead.</summary>
    public string InTermsOfKeys(string message)
    {
        foreach (var (flag, key) in _keyOfInjectedFlag)
        {
            message = Regex.Replace(message, $@"(?<![\w-]){Regex.Escape(flag)}(?![\w-])", key);
        }

        return message;
    }

    private void CheckUnknownKeys()
    {
        var known = ServeConfigKeys.All.Select(entry => entry.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var sectionPath in ServeConfigKeys.CheckedSections)
        {
            foreach (var (path, _) in Configuration.GetSection(sectionPath).AsEnumerable())
            {
                // Array entries (Tether:Serve:Listen:0) belong to their key; sections themselves have no value.
                var key = Regex.Replace(path, @":\d+$", string.Empty);
                if (path != sectionPath && Configuration[path] is not null && !known.Contains(key))
                {
                    throw new CliException($"{path}: unknown setting (tether serve --help lists the flags; docs/operations.md their keys)");
                }
            }
        }
    }
}
