using System.Text.Json;

namespace RoofKit.Api.Tests.Leads;

/// <summary>Every page of one sync run, first page to last.</summary>
internal sealed record ListRun(IReadOnlyList<ListPage> Pages, string Watermark)
{
    public IReadOnlyList<JsonElement> Rows => [.. Pages.SelectMany(p => p.Data)];

    public IReadOnlyList<Guid> Ids => [.. Pages.SelectMany(p => p.Ids)];

    public DateTime WatermarkUtc => ListLeadsApi.ParseWatermark(Watermark);
}
