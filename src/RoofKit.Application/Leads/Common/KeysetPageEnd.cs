namespace RoofKit.Application.Leads.Common;

/// <summary>How a page ended: its row count, whether more rows follow, and its last row's position.</summary>
public readonly record struct KeysetPageEnd(int Count, bool HasMore, KeysetPosition? Last);
