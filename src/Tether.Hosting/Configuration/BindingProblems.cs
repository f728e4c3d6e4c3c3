namespace Tether.Hosting.Configuration;

/// <summary>
/// The bad configuration keys found while binding <typeparamref name="TOptions"/>, kept until validation reports them
/// (binding cannot fail the options it builds; validation at start can).
/// </summary>
internal sealed class BindingProblems<TOptions>
{
    public List<string> Items { get; } = [];
}
