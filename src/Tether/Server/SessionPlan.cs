using Tether.Protocol;

namespace Tether.Server;

/// <summary>The outcome of <see cref="SessionHandshake.PlanAsync"/>.</summary>
internal readonly record struct SessionPlan(TetherSession Session, bool Resumed, ulong PeerLastReceived, SessionResetReason ResetReason, uint LostCount);
