namespace RoofKit.Domain.ApiKeys;

public static class Scopes
{
    public const string LeadsRead = "leads.read";
    public const string LeadsExport = "leads.export";

    public static readonly IReadOnlyList<string> All = [LeadsRead, LeadsExport];
}
