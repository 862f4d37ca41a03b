using MediatR;
using Microsoft.Extensions.Options;
using RoofKit.Application.Common.Exceptions;
using RoofKit.Application.Common.RateLimiting;
using RoofKit.Application.Common.Security;
using RoofKit.Application.Leads.Common;
using RoofKit.Domain.ApiKeys;

namespace RoofKit.Application.Leads.Queries.ListDeletions;

/// <summary>Leads deleted in a sync window (CONTRACT.md §6a); the parameters are <see cref="LeadQueryParameters.DeletionNames"/>.</summary>
[RequiresScope(Scopes.LeadsRead)]
[RateLimited("list_lead_deletions", RateLimitPolicy.List)]
public sealed record ListDeletionsQuery(LeadQueryParameters Parameters) : IRequest<SyncPage<DeletionPage>>, ILeadQuery
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public static LeadQueryLimits Limits => new(DefaultLimit, MaxLimit);

    /// <summary>The lead filters are unknown parameters here.</summary>
    public static IReadOnlyList<string> ParameterNames => LeadQueryParameters.DeletionNames;

    public static CursorKind CursorKind => CursorKind.Deletions;
}

public sealed class ListDeletionsQueryHandler(
    LeadQueryPlanner planner,
    IDeletionRepository deletions,
    IOptions<SyncOptions> syncOptions,
    TimeProvider clock)
    : IRequestHandler<ListDeletionsQuery, SyncPage<DeletionPage>>
{
    public async Task<SyncPage<DeletionPage>> Handle(ListDeletionsQuery request, CancellationToken cancellationToken)
    {
        var plan = await planner.PlanAsync(LeadQuery.Parse(request), cancellationToken);

        // Tombstones older than the retention are purged: an answer from before then could be silently incomplete.
        // A run without from asks for every kept tombstone, which is complete by definition.
        var keptSince = clock.GetUtcNow().UtcDateTime.AddDays(-syncOptions.Value.DeletionRetentionDays);
        if (plan.Slice.Filter.From is { } from && from < keptSince)
        {
            throw new SyncExpiredException(keptSince);
        }

        var (page, end) = await KeysetPage.ToListAsync(
            deletions.ReadAsync(plan.Slice, cancellationToken), plan.Slice.Limit, d => new KeysetPosition(d.DeletedAt, d.Id), cancellationToken);
        return new SyncPage<DeletionPage>(
            new DeletionPage(page, end.HasMore, planner.NextCursor(plan, end)), plan.Watermark);
    }
}
