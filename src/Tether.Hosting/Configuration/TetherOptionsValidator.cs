using Microsoft.Extensions.Options;

namespace Tether.Hosting.Configuration;

/// <summary>
/// Validates <typeparamref name="TOptions"/> at start: first one failure per configuration key that did not bind, then
/// the library's own rules (<paramref name="validate"/>, e.g. <c>TetherServerOptions.Validate()</c>), whose message
/// names the setting in words, prefixed with the section it was read from.
/// </summary>
internal sealed class TetherOptionsValidator<TOptions>(string sectionPath, BindingProblems<TOptions> problems, Action<TOptions> validate)
    : IValidateOptions<TOptions>
    where TOptions : class
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        lock (problems)
        {
            if (problems.Items.Count > 0)
            {
                return ValidateOptionsResult.Fail(problems.Items);
            }
        }

        try
        {
            validate(options);
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException ex)
        {
            return ValidateOptionsResult.Fail($"{sectionPath}: {ex.Message}");
        }
    }
}
