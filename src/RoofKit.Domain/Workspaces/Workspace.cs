namespace RoofKit.Domain.Workspaces;

/// <summary>A contractor company: the unit of tenancy. Every lead, stage and key belongs to one.</summary>
public sealed record Workspace(Guid Id, string Slug, string Name, WorkspaceStatus Status, DateTime CreatedAt);

public enum WorkspaceStatus
{
    Active,
    Suspended,
    Closed,
}

public static class WorkspaceStatusNames
{
    public static string ToDatabase(this WorkspaceStatus status) => status switch
    {
        WorkspaceStatus.Active => "active",
        WorkspaceStatus.Suspended => "suspended",
        WorkspaceStatus.Closed => "closed",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    public static WorkspaceStatus Parse(string value) => value switch
    {
        "active" => WorkspaceStatus.Active,
        "suspended" => WorkspaceStatus.Suspended,
        "closed" => WorkspaceStatus.Closed,
        _ => throw new ArgumentOutOfRangeException(nameof(value), value, "Unknown workspace status."),
    };
}
