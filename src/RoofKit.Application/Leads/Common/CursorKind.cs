namespace RoofKit.Application.Leads.Common;

/// <summary>
/// Which feed a cursor pages (its first byte): a lead cursor works for list and export alike, never for
/// the deletions feed, and the other way round.
/// </summary>
public enum CursorKind : byte
{
    Leads = 1,
    Deletions = 2,
}
