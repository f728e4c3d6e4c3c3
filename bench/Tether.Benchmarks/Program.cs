using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using Tether.Benchmarks;

// Usage (see docs/benchmarks.md):
//   dotnet run -c Release --project bench/Tether.Benchmarks -- --filter '*'
//   dotnet run -c Release --project bench/Tether.Benchmarks -- --filter '*' --job short      (quick pass)
//   dotnet run -c Release --project bench/Tether.Benchmarks -- --filter '*FrameEncode*'      (one class)
//   dotnet run -c Release --project bench/Tether.Benchmarks -- --echo-throughput             (sessions off/on, no BenchmarkDotNet)
if (args.Length > 0 && args[0] == "--echo-throughput")
{
    return await EchoThroughput.RunAsync(args[1..]);
}

IConfig config = DefaultConfig.Instance
    .AddColumn(StatisticColumn.Median, StatisticColumn.OperationsPerSecond)
    .WithOptions(ConfigOptions.JoinSummary);

// Unless the command line picks a job (--job short, --job dry, ...), every benchmark runs with one launch, 3 warmup and
// 10 measured iterations: enough for stable means and exact allocation counts, and a full run stays within minutes.
if (!args.Any(a => a is "--job" or "-j" || a.StartsWith("--job=", StringComparison.Ordinal)))
{
    config = config.AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(10).WithId("Tether").AsDefault());
}

// Keep the reports next to this project (ignored by git) rather than in whatever directory the command ran from.
if (!args.Contains("--artifacts") && FindProjectDirectory() is { } projectDirectory)
{
    config = config.WithArtifactsPath(Path.Combine(projectDirectory, "BenchmarkDotNet.Artifacts"));
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
return 0;

static string? FindProjectDirectory()
{
    for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
    {
        if (File.Exists(Path.Combine(directory.FullName, "Tether.Benchmarks.csproj")))
        {
            return directory.FullName;
        }
    }

    return null;
}
