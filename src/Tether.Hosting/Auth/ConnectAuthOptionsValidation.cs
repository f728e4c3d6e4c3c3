using Microsoft.Extensions.Options;

namespace Tether.Hosting.Auth;

/// <summary>Reports every bad auth setting at start, each as its own failure.</summary>
internal sealed class ConnectAuthOptionsValidation : IValidateOptions<HttpConnectAuthOptions>
{
    public ValidateOptionsResult Validate(string? name, HttpConnectAuthOptions options)
    {
        var problems = options.Problems().ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
