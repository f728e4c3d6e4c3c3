using System.Globalization;

namespace Tether.Interop.Tests.ClientLibraries;

/// <summary>
/// Compares the echoes a client printed with the soak lines it was given: each of lines 1..sent exactly once, in
/// order. Counts every kind of problem and names the one on the lowest line number, so that a failure says which line
/// was lost, duplicated or reordered.
/// </summary>
internal sealed record ClientSoakEchoCheck(int Sent, int Echoed, int Lost, int Duplicated, int Reordered, int Foreign, string? FirstProblem)
{
    public bool Passed => FirstProblem is null;

    /// <summary>Checks <paramref name="echoes"/> (the data of each message event, in order) against lines 1..<paramref name="sent"/>.</summary>
    public static ClientSoakEchoCheck Of(IReadOnlyList<string?> echoes, int sent)
    {
        var firstEcho = new Dictionary<int, int>();
        var problems = new List<(long Line, string Text)>();
        int duplicated = 0, reordered = 0, foreign = 0, highest = 0;
        for (var index = 0; index < echoes.Count; index++)
        {
            var echo = $"echo #{index + 1}";
            if (ClientSoakLines.Number(echoes[index]) is not { } number || number > sent)
            {
                foreign++;
                problems.Add((long.MaxValue, $"{echo} is not one of the lines sent: {Quote(echoes[index])}"));
                continue;
            }

            if (firstEcho.TryGetValue(number, out var first))
            {
                duplicated++;
                problems.Add((number, $"line {number} was echoed twice (echo #{first + 1} and {echo})"));
                continue;
            }

            if (number < highest)
            {
                reordered++;
                problems.Add((number, $"line {number} was echoed after line {highest} ({echo})"));
            }

            firstEcho[number] = index;
            highest = Math.Max(highest, number);
        }

        var lost = Enumerable.Range(1, sent).Where(number => !firstEcho.ContainsKey(number)).ToList();
        if (lost.Count > 0)
        {
            problems.Add((lost[0], $"line {lost[0]} was never echoed (lost{(lost.Count > 1 ? $", and {lost.Count - 1} more from line {lost[1]} on" : string.Empty)})"));
        }

        var firstProblem = problems.Count == 0 ? null : problems.MinBy(p => p.Line).Text;
        return new ClientSoakEchoCheck(sent, echoes.Count, lost.Count, duplicated, reordered, foreign, firstProblem);
    }

    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Sent} lines sent, {Echoed} echoes: {Lost} lost, {Duplicated} duplicated, {Reordered} reordered, {Foreign} not sent{(FirstProblem is null ? string.Empty : $"; first problem: {FirstProblem}")}");

    private static string Quote(string? text) => text is null ? "(no data)" : $"\"{text}\"";
}
