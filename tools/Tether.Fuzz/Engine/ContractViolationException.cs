namespace Tether.Fuzz.Engine;

/// <summary>A decoder broke the reading contract (moved a refused input, consumed nothing, consumed too much).</summary>
internal sealed class ContractViolationException : Exception
{
    public ContractViolationException(string message)
        : base(message)
    {
    }

    public ContractViolationException()
    {
    }

    public ContractViolationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
