namespace Tether.Cli.Serving;

/// <summary>What <c>tether serve</c> does with the messages it receives.</summary>
internal enum ServeApp
{
    /// <summary>Every message goes back to its sender.</summary>
    Echo,

    /// <summary>Every message goes to every connection (a chat room; also what the fan-out benchmark drives).</summary>
    Broadcast,
}
