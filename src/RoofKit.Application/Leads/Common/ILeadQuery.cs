namespace RoofKit.Application.Leads.Common;

/// <summary>
/// A request of a feed that takes the lead query (list, export, deletions): the parameters as sent, and what the
/// endpoint allows, declared once on the request type for the parser, the binding and the OpenAPI document.
/// </summary>
public interface ILeadQuery
{
    /// <summary>The endpoint's bounds of <c>limit</c>.</summary>
    static abstract LeadQueryLimits Limits { get; }

    /// <summary>The query parameters the endpoint knows; any other is 400 <c>unknown_parameter</c>.</summary>
    static abstract IReadOnlyList<string> ParameterNames { get; }

    /// <summary>Which feed the endpoint's cursors page.</summary>
    static abstract CursorKind CursorKind { get; }

    LeadQueryParameters Parameters { get; }
}
