namespace Tether.Fuzz;

/// <summary>Process exit codes, the same numbers as the tether command line's, so scripts read both alike.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The command line was wrong: unknown option or bad value.</summary>
    public const int Usage = 1;

    /// <summary>A decoder failed a case.</summary>
    public const int Failure = 2;
}
