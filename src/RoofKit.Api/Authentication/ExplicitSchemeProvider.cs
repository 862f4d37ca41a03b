using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace RoofKit.Api.Authentication;

/// <summary>
/// The schemes without defaults: with a single scheme ASP.NET Core would make it the default and authenticate every
/// request up front, outside the exception handler. Only endpoints that require a key name the scheme (their
/// authorization policy), so /healthz and /docs never touch the invalid-auth bucket.
/// </summary>
public sealed class ExplicitSchemeProvider(IOptions<AuthenticationOptions> options) : AuthenticationSchemeProvider(options)
{
    public override Task<AuthenticationScheme?> GetDefaultAuthenticateSchemeAsync() => None;

    public override Task<AuthenticationScheme?> GetDefaultChallengeSchemeAsync() => None;

    public override Task<AuthenticationScheme?> GetDefaultForbidSchemeAsync() => None;

    public override Task<AuthenticationScheme?> GetDefaultSignInSchemeAsync() => None;

    public override Task<AuthenticationScheme?> GetDefaultSignOutSchemeAsync() => None;

    private static Task<AuthenticationScheme?> None => Task.FromResult<AuthenticationScheme?>(null);
}
