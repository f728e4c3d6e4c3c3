using System.Buffers;
using System.Text;
using Tether.Server;

namespace Tether.Examples.Chat;

/// <summary>
/// The chat room: every line a member sends goes to the whole room as "NAME: line"; "/to NAME text" goes to one
/// member only. A member's name is the client id it presented (unique: a second "alice" replaces the first).
/// </summary>
internal sealed class ChatHandler : TetherServerHandler
{
    public override ValueTask OnConnectedAsync(TetherConnection connection)
    {
        // A resumed session is the same member back after a network fault, not a newcomer.
        var verb = connection.SessionResumed ? "is back" : "joined";
        connection.Server.Broadcast(Encoding.UTF8.GetBytes($"* {NameOf(connection)} {verb}"));
        return ValueTask.CompletedTask;
    }

    public override async ValueTask OnMessageAsync(TetherConnection connection, ReadOnlySequence<byte> message)
    {
        var text = Encoding.UTF8.GetString(message);
        if (text.StartsWith("/to ", StringComparison.Ordinal))
        {
            var parts = text.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
            var whisper = Encoding.UTF8.GetBytes($"{NameOf(connection)} (to you): {(parts.Length > 2 ? parts[2] : "")}");
            // Reaches the member while it reconnects too: the message waits in its session.
            if (parts.Length < 2 || !await connection.Server.SendToClientAsync(parts[1], whisper))
            {
                await connection.SendAsync(Encoding.UTF8.GetBytes($"* nobody called {(parts.Length > 1 ? parts[1] : "that")} is here"));
            }

            return;
        }

        // To everyone, the sender included (its client hides its own lines): a broadcast never waits for a slow
        // member, and members whose link is down get the line from their session when they come back.
        connection.Server.Broadcast(Encoding.UTF8.GetBytes($"{NameOf(connection)}: {text}"));
    }

    public override ValueTask OnDisconnectedAsync(TetherConnection connection, DisconnectInfo info)
    {
        connection.Server.Broadcast(Encoding.UTF8.GetBytes($"* {NameOf(connection)} left ({info.Reason})"));
        return ValueTask.CompletedTask;
    }

    /// <summary>The member's name: its client id, or a guest name for a client that gave none.</summary>
    public static string NameOf(TetherConnection connection) => connection.ClientId ?? $"guest-{connection.Id}";
}
