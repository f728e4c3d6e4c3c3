using System.Text;
using StackExchange.Redis;

namespace Tether.Cluster;

/// <summary>
/// A Lua script written with named <c>@parameters</c>, rewritten once into <c>KEYS[i]</c> and <c>ARGV[j]</c>, and run
/// with plain arrays. StackExchange.Redis's <c>LuaScript</c> binds an object's members through compiled expressions,
/// which loads System.Linq.Expressions and emits code in every node: megabytes that idle connections would pay for.
/// </summary>
internal sealed class NamedScript
{
    private readonly int _keyCount;
    private readonly int _argumentCount;

    /// <param name="body">The script, referring to keys and arguments as <c>@name</c>.</param>
    /// <param name="keys">The key names, in the order callers pass the keys.</param>
    /// <param name="arguments">The argument names, in the order callers pass the arguments.</param>
    public NamedScript(string body, string[] keys, string[] arguments)
    {
        _keyCount = keys.Length;
        _argumentCount = arguments.Length;
        Text = Rewrite(body, keys, arguments);
    }

    /// <summary>The script as Redis runs it.</summary>
    public string Text { get; }

    public Task<RedisResult> EvaluateAsync(IDatabaseAsync database, RedisKey[] keys, RedisValue[] arguments)
    {
        if (keys.Length != _keyCount || arguments.Length != _argumentCount)
        {
            throw new ArgumentException($"the script takes {_keyCount} keys and {_argumentCount} arguments, not {keys.Length} and {arguments.Length}");
        }

        return database.ScriptEvaluateAsync(Text, keys, arguments);
    }

    private static string Rewrite(string body, string[] keys, string[] arguments)
    {
        var text = new StringBuilder(body.Length + 64);
        var i = 0;
        while (i < body.Length)
        {
            if (body[i] != '@')
            {
                text.Append(body[i++]);
                continue;
            }

            var start = ++i;
            while (i < body.Length && (char.IsAsciiLetterOrDigit(body[i]) || body[i] == '_'))
            {
                i++;
            }

            var name = body[start..i];
            var key = Array.IndexOf(keys, name);
            var argument = Array.IndexOf(arguments, name);
            if (key >= 0)
            {
                text.Append("KEYS[").Append(key + 1).Append(']');
            }
            else if (argument >= 0)
            {
                text.Append("ARGV[").Append(argument + 1).Append(']');
            }
            else
            {
                throw new ArgumentException($"the script refers to @{name}, which is neither a key nor an argument");
            }
        }

        return text.ToString();
    }
}
