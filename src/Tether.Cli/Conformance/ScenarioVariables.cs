using System.Globalization;
using System.Text.Json;

namespace Tether.Cli.Conformance;

/// <summary>
/// The <c>$name</c> values of one scenario run: settings the runner provides (e.g. <c>$handshakeTimeoutMs</c>,
/// <c>$endpoint.alt</c>) and values captured from received frames and events. Values are strings or numbers
/// (decimal, which holds every u64 exactly).
/// </summary>
internal sealed class ScenarioVariables
{
    private readonly Dictionary<string, object> _values = new(StringComparer.Ordinal);

    public void Set(string name, object value) => _values[name] = value;

    public bool TryGet(string name, out object value) => _values.TryGetValue(name, out value!);

    public object Get(string name) => _values.TryGetValue(name, out var value)
        ? value
        : throw new ScenarioFileException($"${name} is used before it was captured or set");

    /// <summary>True for a string that is a reference to one variable, e.g. <c>"$sessionId"</c>.</summary>
    public static bool IsReference(JsonElement element, out string name)
    {
        name = string.Empty;
        if (element.ValueKind != JsonValueKind.String || element.GetString() is not { Length: > 1 } text || text[0] != '$')
        {
            return false;
        }

        name = text[1..];
        return name.All(IsNameChar);
    }

    private static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '_';

    /// <summary>
    /// A number: a JSON number, or a string of numbers and <c>$variables</c> joined by <c>+ - * /</c>, evaluated left
    /// to right (e.g. <c>"$timeoutMs+$intervalMs/4"</c> is (timeout + interval) / 4; write the terms in the order meant).
    /// </summary>
    public decimal Number(JsonElement element, string what)
    {
        if (element.ValueKind == JsonValueKind.Number)
        {
            return element.GetDecimal();
        }

        if (element.ValueKind != JsonValueKind.String)
        {
            throw new ScenarioFileException($"{what}: expected a number or an expression, got {element.GetRawText()}");
        }

        return Evaluate(element.GetString()!, what);
    }

    /// <summary>A string: a JSON string, or a <c>$variable</c> holding one.</summary>
    public string Text(JsonElement element, string what)
    {
        if (IsReference(element, out var name))
        {
            return Convert.ToString(Get(name), CultureInfo.InvariantCulture)!;
        }

        return element.ValueKind == JsonValueKind.String
            ? element.GetString()!
            : throw new ScenarioFileException($"{what}: expected a string, got {element.GetRawText()}");
    }

    private decimal Evaluate(string expression, string what)
    {
        decimal? result = null;
        var pending = '+';
        var i = 0;
        while (i < expression.Length)
        {
            if (char.IsWhiteSpace(expression[i]))
            {
                i++;
                continue;
            }

            var start = i;
            decimal term;
            if (expression[i] == '$')
            {
                i++;
                while (i < expression.Length && IsNameChar(expression[i]))
                {
                    i++;
                }

                var value = Get(expression[(start + 1)..i]);
                term = value is decimal number ? number : throw new ScenarioFileException($"{what}: ${expression[(start + 1)..i]} is not a number");
            }
            else if (char.IsDigit(expression[i]))
            {
                while (i < expression.Length && (char.IsDigit(expression[i]) || expression[i] == '.'))
                {
                    i++;
                }

                term = decimal.Parse(expression[start..i], CultureInfo.InvariantCulture);
            }
            else
            {
                throw new ScenarioFileException($"{what}: cannot read '{expression}' as a number or expression");
            }

            result = pending switch
            {
                '+' => (result ?? 0) + term,
                '-' => (result ?? 0) - term,
                '*' => result!.Value * term,
                _ => result!.Value / term,
            };
            while (i < expression.Length && char.IsWhiteSpace(expression[i]))
            {
                i++;
            }

            if (i < expression.Length)
            {
                pending = expression[i] is '+' or '-' or '*' or '/' ? expression[i] : throw new ScenarioFileException($"{what}: unexpected '{expression[i]}' in '{expression}'");
                i++;
            }
        }

        return result ?? throw new ScenarioFileException($"{what}: empty expression");
    }
}
