namespace Tether.Server;

/// <summary>The rules for group names and the client ids given to group operations.</summary>
internal static class GroupNames
{
    public const int MaxLength = 200;

    public static void Validate(string group, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(group, parameterName);
        if (group.Length is 0 or > MaxLength)
        {
            throw new ArgumentException($"a group name must be 1 to {MaxLength} characters", parameterName);
        }
    }

    public static void ValidateClientId(string clientId, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(clientId, parameterName);
        if (clientId.Length == 0)
        {
            throw new ArgumentException("a client id must not be empty", parameterName);
        }
    }
}
