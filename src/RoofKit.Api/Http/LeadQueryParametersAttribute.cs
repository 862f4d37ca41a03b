using RoofKit.Application.Leads.Common;

namespace RoofKit.Api.Http;

/// <summary>
/// Marks an action that takes the lead query (CONTRACT.md §6) from the query string; the OpenAPI document
/// describes its parameters from this, with the bounds its request type declares (<see cref="ILeadQuery"/>).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public abstract class LeadQueryParametersAttribute : Attribute
{
    /// <summary>The MediatR request the action sends.</summary>
    public abstract Type QueryType { get; }

    public abstract LeadQueryLimits Limits { get; }

    public abstract IReadOnlyList<string> ParameterNames { get; }

    /// <summary>The deletions feed's parameters (<see cref="LeadQueryParameters.DeletionNames"/>) instead of the lead query's.</summary>
    public bool Deletions => ParameterNames.SequenceEqual(LeadQueryParameters.DeletionNames);
}

/// <inheritdoc cref="LeadQueryParametersAttribute"/>
[AttributeUsage(AttributeTargets.Method)]
public sealed class LeadQueryParametersAttribute<TQuery> : LeadQueryParametersAttribute
    where TQuery : ILeadQuery
{
    public override Type QueryType => typeof(TQuery);

    public override LeadQueryLimits Limits => TQuery.Limits;

    public override IReadOnlyList<string> ParameterNames => TQuery.ParameterNames;
}
