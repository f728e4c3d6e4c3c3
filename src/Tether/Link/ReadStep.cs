namespace Tether.Link;

/// <summary>What <see cref="ConnectionLink.ReadAvailable"/> stopped at.</summary>
internal enum ReadStep
{
    /// <summary>Everything that had arrived is handled: wait until the socket is readable again.</summary>
    NeedData,

    /// <summary>The link has ended (end of stream, a CLOSE or GOAWAY, a broken connection); the reason is given.</summary>
    Ended,

    /// <summary>Reading for control frames only, it reached a message for the application: continue on the thread pool.</summary>
    NeedsApplication,

    /// <summary>A handler did not finish at once: await it with <see cref="ConnectionLink.ResumeAfterHandlerAsync"/>, then read again.</summary>
    HandlerPending,
}
