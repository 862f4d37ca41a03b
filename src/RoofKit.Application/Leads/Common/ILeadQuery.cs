namespace RoofKit.Application.Leads.Common;

/// <summary>
/// A request of a feed that takes the lead query (list, export, deletions): the parameters as sent, and what the
/// endpoint allows, declared once on the request type for the parser, the binding and the OpenAPI document.
/// </summary>
public interface ILeadQuery
{
    /// <summary>The endpoint's bounds of <c>limit</c>.</summary>
    static abstract LeadQueryLimits Limits { get; }

    /// <summary>The query parameters the endpoint knows, the lead query's unless it says otherwise; any other is 400 <c>unknown_parameter</c>.</summary>
    static virtual IReadOnlyList<string> ParameterNames => LeadQueryParameters.Names;

    /// <summary>Which feed the endpoint's cursors page, leads unless it says otherwise.</summary>
    static virtual CursorKind CursorKind => CursorKind.Leads;

    LeadQueryParameters Parameters { get; }
}
