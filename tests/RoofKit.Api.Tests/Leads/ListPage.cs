using System.Text.Json;

namespace RoofKit.Api.Tests.Leads;

/// <summary>One page of <c>GET /api/v1/leads</c>, as a partner reads it.</summary>
internal sealed record ListPage(IReadOnlyList<JsonElement> Data, bool HasMore, string? NextCursor, string Watermark)
{
    public IEnumerable<Guid> Ids => Data.Select(l => l.GetProperty("id").GetGuid());
}
