namespace RoofKit.Application.Common.Interfaces;

/// <summary>A stored key as authentication needs it, with its workspace's status.</summary>
public sealed class StoredApiKey
{
    public Guid Id { get; init; }

    public Guid WorkspaceId { get; init; }

    public byte[] SecretHash { get; init; } = [];

    public string[] Scopes { get; init; } = [];

    public string WorkspaceStatus { get; init; } = "";

    public bool Revoked { get; init; }

    public bool Deleted { get; init; }
}

public interface IApiKeyStore
{
    /// <summary>The key with this public id, revoked and deleted ones included, or null.</summary>
    Task<StoredApiKey?> FindAsync(string publicId, CancellationToken cancellationToken);

    /// <summary>Records that the key was used; writes at most once a minute per key and never throws.</summary>
    void MarkUsed(Guid keyId);
}
