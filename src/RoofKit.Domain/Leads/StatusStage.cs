namespace RoofKit.Domain.Leads;

/// <summary>One step of a workspace's pipeline; <see cref="Kind"/> is open, won or lost.</summary>
public sealed record StatusStage(Guid Id, string Name, int Position, string Kind)
{
    public static readonly IReadOnlyList<string> Kinds = ["open", "won", "lost"];
}
