using System.Collections.Concurrent;
using System.Reflection;
using MediatR;
using RoofKit.Application.Common.Exceptions;
using RoofKit.Application.Common.Interfaces;
using RoofKit.Application.Common.Security;
using RoofKit.Domain.Workspaces;

namespace RoofKit.Application.Common.Behaviours;

/// <summary>403s: the workspace must be active and the key must hold the request's <see cref="RequiresScopeAttribute"/>.</summary>
public sealed class AuthorizationBehaviour<TRequest, TResponse>(ICurrentApiKey currentApiKey)
    : IPipelineBehavior<TRequest, TResponse>
{
    private static readonly ConcurrentDictionary<Type, string?> ScopeByType = new();

    public Task<TResponse> Handle(TRequest request, CancellationToken cancellationToken, RequestHandlerDelegate<TResponse> next)
    {
        var scope = ScopeByType.GetOrAdd(typeof(TRequest), t => t.GetCustomAttribute<RequiresScopeAttribute>()?.Scope);
        if (scope is null)
        {
            return next();
        }

        var identity = currentApiKey.Identity
            ?? throw new InvalidOperationException("A scoped request reached the pipeline without an authenticated API key.");

        if (identity.WorkspaceStatus != WorkspaceStatus.Active)
        {
            throw new ForbiddenException("workspace_inactive", "The API key's workspace is not active.");
        }

        if (!identity.Scopes.Contains(scope))
        {
            throw new ForbiddenException("insufficient_scope", $"The API key lacks the scope '{scope}' that this endpoint requires.", scope);
        }

        return next();
    }
}
