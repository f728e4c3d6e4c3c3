namespace Tether.FaultProxy;

/// <summary>
/// The fault of each direction, swapped atomically so pumps read it per chunk without locking, and a signal that
/// lets a held-back connect, FIN or reset wait for a black hole to end.
/// </summary>
internal sealed class DirectionFaults
{
    private readonly Lock _gate = new();
    private readonly FaultSettings[] _faults = [FaultSettings.Pass, FaultSettings.Pass];
    private TaskCompletionSource _changed = NewSignal();

    public FaultSettings Get(FaultDirection direction) => Volatile.Read(ref _faults[IndexOf(direction)]);

    /// <summary>The mode of one direction, or of both when they agree (<see cref="FaultMode.Mixed"/> otherwise).</summary>
    public FaultMode GetMode(FaultDirection direction)
    {
        return direction switch
        {
            FaultDirection.ClientToServer or FaultDirection.ServerToClient => Get(direction).Mode,
            FaultDirection.Both => Get(FaultDirection.ClientToServer).Mode is var up
                && up == Get(FaultDirection.ServerToClient).Mode ? up : FaultMode.Mixed,
            _ => throw new ArgumentOutOfRangeException(nameof(direction), direction, "Unknown direction."),
        };
    }

    public void Set(FaultDirection direction, FaultSettings fault)
    {
        if (direction is not (FaultDirection.Both or FaultDirection.ClientToServer or FaultDirection.ServerToClient))
        {
            throw new ArgumentOutOfRangeException(nameof(direction), direction, "Unknown direction.");
        }

        TaskCompletionSource changed;
        lock (_gate)
        {
            if (direction != FaultDirection.ServerToClient)
            {
                Volatile.Write(ref _faults[IndexOf(FaultDirection.ClientToServer)], fault);
            }

            if (direction != FaultDirection.ClientToServer)
            {
                Volatile.Write(ref _faults[IndexOf(FaultDirection.ServerToClient)], fault);
            }

            changed = _changed;
            _changed = NewSignal();
        }

        // Released outside the lock to keep it short; waiters were created to resume on other threads.
        changed.TrySetResult();
    }

    /// <summary>Completes once <paramref name="direction"/> is not black-holed.</summary>
    public async ValueTask WaitUntilOpenAsync(FaultDirection direction, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;

            // Read under the lock so a change between the check and taking the signal cannot be missed.
            lock (_gate)
            {
                if (Get(direction).Mode != FaultMode.BlackHole)
                {
                    return;
                }

                changed = _changed.Task;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static int IndexOf(FaultDirection direction) => direction == FaultDirection.ClientToServer ? 0 : 1;

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
