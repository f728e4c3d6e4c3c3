using Xunit;

namespace Tether.TestSupport;

/// <summary>A <see cref="FactAttribute"/> that skips, saying why, where <c>redis-server</c> is not installed (.ci/run installs it).</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class RedisFactAttribute : FactAttribute
{
    public RedisFactAttribute()
    {
        if (RedisServer.Executable is null)
        {
            Skip = "redis-server is not installed (apt-get install redis-server)";
        }
    }
}
