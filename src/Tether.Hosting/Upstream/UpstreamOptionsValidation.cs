using Microsoft.Extensions.Options;

namespace Tether.Hosting.Upstream;

/// <summary>Reports every bad upstream setting at start, each as its own failure.</summary>
internal sealed class UpstreamOptionsValidation : IValidateOptions<UpstreamOptions>
{
    public ValidateOptionsResult Validate(string? name, UpstreamOptions options)
    {
        var problems = options.Problems().ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
