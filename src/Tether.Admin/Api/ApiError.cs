namespace Tether.Admin.Api;

/// <summary>The body of every error answer: one line saying what went wrong.</summary>
/// <param name="Error">What went wrong, in one line.</param>
internal sealed record ApiError(string Error);
