using System.Collections;
using RoofKit.Application.Common.Security;

namespace RoofKit.Api.Observability;

/// <summary>
/// The properties every log line of a request carries (<c>request_id</c>, and once the key is known
/// <c>workspace_id</c> and <c>key_id</c>), as one logging scope. The scope is opened before authentication, so it is
/// filled in when the key has been checked: lines logged after that, the error handler's included, name the caller.
/// Only ids: the key itself never reaches a log.
/// </summary>
public sealed class RequestLogScope(string requestId) : IReadOnlyList<KeyValuePair<string, object?>>
{
    private Guid? workspaceId;
    private Guid? keyId;

    public int Count => keyId is null ? 1 : 3;

    public KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new("request_id", requestId),
        1 when keyId is not null => new("workspace_id", workspaceId),
        2 when keyId is not null => new("key_id", keyId),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    public void Authenticated(ApiKeyIdentity identity)
    {
        workspaceId = identity.WorkspaceId;
        keyId = identity.KeyId;
    }

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => string.Join(' ', this.Select(p => $"{p.Key}={p.Value}"));
}

/// <summary>Opens the <see cref="RequestLogScope"/> of each request, first in the pipeline so that every line has it.</summary>
public sealed class RequestLogScopeMiddleware(RequestDelegate next, ILogger<RequestLogScopeMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var scope = new RequestLogScope(context.TraceIdentifier);
        context.Features.Set(scope);
        using (logger.BeginScope(scope))
        {
            await next(context);
        }
    }
}
