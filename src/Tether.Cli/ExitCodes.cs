namespace Tether.Cli;

/// <summary>Process exit codes, stable so scripts can tell a typo from a network failure.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The command line was wrong: unknown option, bad value, conflicting settings.</summary>
    public const int Usage = 1;

    /// <summary>The command was fine but could not do its job: port in use, server unreachable, closed for good.</summary>
    public const int Failure = 2;

    /// <summary>
    /// tether connect closed as asked (stdin ended, or Ctrl-C), but some lines it sent were never acknowledged by the
    /// server within --close-timeout: they may not have arrived. The closed event says how many.
    /// </summary>
    public const int Unacknowledged = 3;

    /// <summary>A bug: an exception nobody expected.</summary>
    public const int Internal = 70;
}
