namespace Tether.Link;

/// <summary>How one pass over received bytes ended.</summary>
internal enum ParseResult
{
    /// <summary>Every complete frame was handled; what is left (if anything) is the start of the next one.</summary>
    Done,

    /// <summary>A control frame ended the link.</summary>
    Ended,

    /// <summary>Control frames only: stopped in front of a message for the application, which is not consumed.</summary>
    NeedsApplication,

    /// <summary>A handler is still working on a message; the bytes up to its end must stay valid until it finishes.</summary>
    HandlerPending,
}
