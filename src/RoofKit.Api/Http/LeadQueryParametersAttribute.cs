using RoofKit.Application.Leads.Common;

namespace RoofKit.Api.Http;

/// <summary>
/// Marks an action that takes the lead query (CONTRACT.md §6) from the query string; the OpenAPI document
/// describes its parameters from this, with the endpoint's own limit bounds.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class LeadQueryParametersAttribute(int defaultLimit, int maxLimit) : Attribute
{
    public int DefaultLimit { get; } = defaultLimit;

    public int MaxLimit { get; } = maxLimit;

    /// <summary>The deletions feed's parameters (<see cref="LeadQueryParameters.DeletionNames"/>) instead of the lead query's.</summary>
    public bool Deletions { get; init; }
}
