using System.Text.Json.Nodes;

namespace Tether.Bench.Infra;

/// <summary>What every scenario shares: where things are, the progress display, the record of commands and notes.</summary>
internal sealed class BenchContext
{
    private readonly Lock _lock = new();
    private readonly List<string> _notes = [];
    private readonly JsonArray _commands = [];
    private int _sequence;

    public BenchContext(string root, string workDirectory, ProgressDisplay progress, bool quick, CancellationToken cancellationToken)
    {
        Root = root;
        WorkDirectory = workDirectory;
        Progress = progress;
        Quick = quick;
        CancellationToken = cancellationToken;
    }

    /// <summary>The repository root; children run here.</summary>
    public string Root { get; }

    /// <summary>A fresh folder for port files, generated configurations and the children's logs.</summary>
    public string WorkDirectory { get; }

    public ProgressDisplay Progress { get; }

    public bool Quick { get; }

    public CancellationToken CancellationToken { get; }

    public IReadOnlyList<string> Notes
    {
        get
        {
            lock (_lock)
            {
                return [.. _notes];
            }
        }
    }

    /// <summary>A file name in the work folder, unique within this run: <c>03-kestrel.port</c>.</summary>
    public string WorkFile(string name)
    {
        var number = Interlocked.Increment(ref _sequence);
        return Path.Combine(WorkDirectory, $"{number:000}-{name}");
    }

    /// <summary>A remark that goes under the table and into the JSON, and to the progress display now.</summary>
    public void Note(string note)
    {
        lock (_lock)
        {
            if (_notes.Contains(note))
            {
                return;
            }

            _notes.Add(note);
        }

        Progress.Note(note);
    }

    /// <summary>Records a child's command line for the JSON report, with what it was (server, load generator) and where in the run.</summary>
    public void RecordCommand(string role, string context, ChildProcess child)
    {
        lock (_lock)
        {
            _commands.Add(new JsonObject
            {
                ["role"] = role,
                ["context"] = context,
                ["pid"] = child.Pid,
                ["command"] = child.CommandLine,
            });
        }
    }

    public JsonArray CommandsJson()
    {
        lock (_lock)
        {
            return (JsonArray)_commands.DeepClone();
        }
    }
}
