namespace Tether.Hostile.CommandLine;

/// <summary>A command-line mistake: one line on stderr and exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
