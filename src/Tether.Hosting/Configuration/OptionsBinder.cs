using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text;
using Microsoft.Extensions.Configuration;

namespace Tether.Hosting.Configuration;

/// <summary>
/// Binds a configuration section onto Tether's options objects, key by key, collecting one problem per bad key (which
/// key, what was found, what is expected) instead of stopping at the first or silently ignoring typos as the standard
/// binder does. Durations take <c>30s</c> as well as <c>00:00:30</c>; endpoints take <c>HOST:PORT</c> strings; nested
/// options objects (Heartbeat, RateLimits, ScaleOut, ...) are created when their section is present.
/// </summary>
internal static class OptionsBinder
{
    /// <summary>Binds every key under <paramref name="section"/> onto <paramref name="target"/>; bad keys go to <paramref name="problems"/>.</summary>
    public static void Bind(IConfigurationSection section, object target, ICollection<string> problems)
    {
        foreach (var child in section.GetChildren())
        {
            var property = target.GetType().GetProperty(child.Key, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null)
            {
                problems.Add($"{child.Path}: unknown setting (see docs/operations.md, \"Configuration and hosting\")");
                continue;
            }

            BindProperty(child, target, property, problems);
        }
    }

    private static void BindProperty(IConfigurationSection child, object target, PropertyInfo property, ICollection<string> problems)
    {
        var type = property.PropertyType;
        if (type == typeof(IList<IPEndPoint>) || type == typeof(IList<EndPoint>))
        {
            BindEndPoints(child, (System.Collections.IList)property.GetValue(target)!, allowHostName: type == typeof(IList<EndPoint>), problems);
            return;
        }

        if (IsLeaf(type))
        {
            if (!property.CanWrite)
            {
                problems.Add($"{child.Path}: cannot be set from configuration");
            }
            else if (child.Value is null)
            {
                problems.Add($"{child.Path}: expected a single value, found a section");
            }
            else if (TryConvert(child.Value, type, out var value, out var expected))
            {
                property.SetValue(target, value);
            }
            else
            {
                problems.Add($"{child.Path}: '{child.Value}' is not {expected}");
            }

            return;
        }

        if (type.IsClass && type.Namespace?.StartsWith("Tether", StringComparison.Ordinal) == true && type.GetConstructor(Type.EmptyTypes) is not null && property.CanWrite)
        {
            var nested = property.GetValue(target) ?? Activator.CreateInstance(type)!;
            Bind(child, nested, problems);
            property.SetValue(target, nested);
            return;
        }

        problems.Add($"{child.Path}: cannot be set from configuration (set it in code, in the AddTetherServer/AddTetherClient delegate)");
    }

    private static void BindEndPoints(IConfigurationSection section, System.Collections.IList list, bool allowHostName, ICollection<string> problems)
    {
        // A single string is one endpoint; an array (EndPoints:0, EndPoints:1, ... or a JSON array) is several.
        var entries = section.Value is not null ? [section] : section.GetChildren().ToList();
        list.Clear();
        foreach (var entry in entries)
        {
            if (entry.Value is not null && ConfigEndPoint.TryParse(entry.Value, allowHostName, out var endPoint))
            {
                list.Add(endPoint);
            }
            else
            {
                problems.Add($"{entry.Path}: '{entry.Value}' is not an endpoint ({ConfigEndPoint.Examples})");
            }
        }
    }

    private static bool IsLeaf(Type type)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        return underlying.IsPrimitive || underlying.IsEnum || underlying == typeof(string) || underlying == typeof(TimeSpan)
            || underlying == typeof(IPAddress) || underlying == typeof(ReadOnlyMemory<byte>);
    }

    private static bool TryConvert(string text, Type type, out object? value, out string expected)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        value = null;
        expected = "valid";
        if (Nullable.GetUnderlyingType(type) is not null && text.Length == 0)
        {
            return true;
        }

        if (underlying == typeof(string))
        {
            value = text;
            return true;
        }

        if (underlying == typeof(ReadOnlyMemory<byte>))
        {
            value = new ReadOnlyMemory<byte>(Encoding.UTF8.GetBytes(text));
            return true;
        }

        if (underlying == typeof(TimeSpan))
        {
            expected = $"a duration ({ConfigDuration.Examples})";
            var ok = ConfigDuration.TryParse(text, out var duration);
            value = duration;
            return ok;
        }

        if (underlying == typeof(bool))
        {
            expected = "true or false";
            var ok = bool.TryParse(text, out var flag);
            value = flag;
            return ok;
        }

        if (underlying == typeof(IPAddress))
        {
            expected = "an IP address";
            var ok = IPAddress.TryParse(text, out var address);
            value = address;
            return ok;
        }

        if (underlying.IsEnum)
        {
            expected = $"one of {string.Join(", ", Enum.GetNames(underlying))}";
            var ok = Enum.TryParse(underlying, text, ignoreCase: true, out var parsed) && !int.TryParse(text, out _);
            value = parsed;
            return ok;
        }

        expected = underlying == typeof(double) || underlying == typeof(float) ? "a number" : "a whole number";
        try
        {
            value = Convert.ChangeType(text, underlying, CultureInfo.InvariantCulture);
            return true;
        }
        catch (Exception ex) when (ex is FormatException or OverflowException or InvalidCastException)
        {
            return false;
        }
    }
}
