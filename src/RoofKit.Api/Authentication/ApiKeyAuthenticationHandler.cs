using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using RoofKit.Api.Errors;
using RoofKit.Api.Observability;
using RoofKit.Application.Common.Interfaces;
using RoofKit.Application.Common.Metrics;
using RoofKit.Application.Common.RateLimiting;
using RoofKit.Application.Common.Security;
using RoofKit.Domain.ApiKeys;
using RoofKit.Domain.Workspaces;

namespace RoofKit.Api.Authentication;

/// <summary>
/// <c>Authorization: Bearer rk_live_…</c>. Shape and checksum are checked before any database call; the
/// secret's hash is compared in constant time; revoked, deleted, unknown and malformed keys all fail the same
/// way. Each failure counts against the caller address's invalid-auth bucket, never against a key's bucket.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    IApiKeyStore keys,
    IRateLimitStore rateLimits,
    IOptions<RateLimitOptions> rateLimitOptions,
    RoofKitMetrics metrics)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string Realm = "RoofKit Partner API";
    private const string FailureItem = "RoofKit.AuthFailure";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrWhiteSpace(header))
        {
            return await FailAsync(missing: true);
        }

        const string bearer = "Bearer";
        var isBearer = header.StartsWith(bearer, StringComparison.OrdinalIgnoreCase)
            && (header.Length == bearer.Length || header[bearer.Length] == ' ');
        var token = isBearer ? header[bearer.Length..].Trim() : null;
        if (token is { Length: 0 })
        {
            return await FailAsync(missing: true);
        }

        if (!ApiKeyToken.TryParse(token, out var parsed))
        {
            return await FailAsync(missing: false);
        }

        var stored = await keys.FindAsync(parsed.PublicId, Context.RequestAborted);
        var hash = parsed.SecretHash();
        var matches = stored is not null && CryptographicOperations.FixedTimeEquals(hash, stored.SecretHash);
        if (!matches || stored!.Revoked || stored.Deleted)
        {
            return await FailAsync(missing: false);
        }

        var identity = new ApiKeyIdentity(stored.Id, stored.WorkspaceId, WorkspaceStatusNames.Parse(stored.WorkspaceStatus), stored.Scopes);
        Context.Features.Set(identity);
        Context.Features.Get<RequestLogScope>()?.Authenticated(identity);
        keys.MarkUsed(stored.Id);

        var principal = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim("key_id", stored.Id.ToString()), new Claim("workspace_id", stored.WorkspaceId.ToString())],
            SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var failure = Context.Items[FailureItem] as ApiKeyAuthenticationException
            ?? new ApiKeyAuthenticationException(missing: true, invalidAuthBucket: null);
        // Answered here rather than thrown: a challenge also runs when ASP.NET Core re-executes the pipeline for an
        // exception, and a throw from there escaped every handler and reached Kestrel's log as "unhandled" at Error.
        await Context.RequestServices.GetRequiredService<ApiExceptionHandler>().TryHandleAsync(Context, failure, Context.RequestAborted);
    }

    private async Task<AuthenticateResult> FailAsync(bool missing)
    {
        var address = ClientAddress.Of(Context);
        RateLimitDecision? decision;
        try
        {
            decision = await rateLimits.HitAsync($"auth:{address}", rateLimitOptions.Value.InvalidAuth, Context.RequestAborted);
        }
        catch (Exception e) when (DatabaseUnavailable.Is(e))
        {
            // Refusing a missing or malformed key needs no database: it keeps its 401 while the counter cannot be
            // written (fail open on the invalid-auth bucket for that moment) instead of becoming a 503.
            Logger.LogWarning("Invalid-auth bucket of {Address} not counted: the database cannot be reached ({Reason})",
                address, e.GetBaseException().Message);
            decision = null;
        }

        var limited = decision is { Allowed: false };
        metrics.AuthenticationRejected(limited ? "auth_rate_limited" : missing ? "missing_api_key" : "invalid_api_key");
        Context.Items[FailureItem] = new ApiKeyAuthenticationException(missing, limited ? decision : null);
        return AuthenticateResult.Fail(missing ? "missing_api_key" : "invalid_api_key");
    }
}

/// <summary>The API key that authenticated the current request, for the application layer.</summary>
public sealed class HttpCurrentApiKey(IHttpContextAccessor accessor) : ICurrentApiKey
{
    public ApiKeyIdentity? Identity => accessor.HttpContext?.Features.Get<ApiKeyIdentity>();
}
