namespace Tether.Transport.Readiness;

/// <summary>Told by the <see cref="ReadinessEngine"/> that its socket may have become readable (or hung up).</summary>
internal interface IReadinessListener
{
    /// <summary>Runs on the engine's thread: must only record the fact or hand work to the thread pool.</summary>
    void OnReadable();
}
