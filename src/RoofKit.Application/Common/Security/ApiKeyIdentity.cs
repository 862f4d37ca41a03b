using RoofKit.Domain.Workspaces;

namespace RoofKit.Application.Common.Security;

/// <summary>The authenticated caller: which key, of which workspace, with which scopes.</summary>
public sealed record ApiKeyIdentity(
    Guid KeyId,
    Guid WorkspaceId,
    WorkspaceStatus WorkspaceStatus,
    IReadOnlyCollection<string> Scopes);
