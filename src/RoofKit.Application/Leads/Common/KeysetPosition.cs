namespace RoofKit.Application.Leads.Common;

/// <summary>
/// A position in the (time, id) order that keyset pagination resumes after: updated_at for leads, deleted_at for
/// the deletions feed.
/// </summary>
public readonly record struct KeysetPosition(DateTime UpdatedAt, Guid Id);
