using MediatR;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using RoofKit.Application.Common.Behaviours;
using RoofKit.Application.Common.Metrics;
using RoofKit.Application.Common.RateLimiting;
using RoofKit.Application.Leads.Common;

namespace RoofKit.Application;

public static class DependencyInjection
{
    public static IServiceCollection AddApplicationServices(this IServiceCollection services, IConfiguration configuration)
    {
        // MediatR 5 has no AddMediatR of its own that fits here: the mediator resolves handlers and
        // behaviours through this factory, and Scrutor finds the handlers.
        services.AddScoped<ServiceFactory>(provider => provider.GetService!);
        services.AddScoped<IMediator, Mediator>();
        services.Scan(scan => scan
            .FromAssemblyOf<LeadQueryPlanner>()
            .AddClasses(classes => classes.AssignableTo(typeof(IRequestHandler<,>)))
            .AsImplementedInterfaces()
            .WithScopedLifetime());

        // The contract's order of checks (CONTRACT.md §4): scope and workspace (403), then the key's bucket
        // (429); the handler parses its query (LeadQuery.Parse, 400) only after both, so a bad request still costs
        // a request and carries the limit headers.
        services.AddScoped(typeof(IPipelineBehavior<,>), typeof(AuthorizationBehaviour<,>));
        services.AddScoped(typeof(IPipelineBehavior<,>), typeof(RateLimitBehaviour<,>));

        services.Configure<RateLimitOptions>(configuration.GetSection(RateLimitOptions.SectionName));
        services.Configure<CursorOptions>(configuration.GetSection(CursorOptions.SectionName));
        services.Configure<SyncOptions>(configuration.GetSection(SyncOptions.SectionName));
        services.Configure<ExportOptions>(configuration.GetSection(ExportOptions.SectionName));
        services.AddSingleton<LeadCursorProtector>();
        services.AddScoped<LeadQueryPlanner>();
        services.AddSingleton<SyncWatermark>();
        services.AddScoped<RateLimitContext>();
        services.AddSingleton<RateLimitEstimates>();
        services.AddSingleton(TimeProvider.System);
        // The RoofKit meter's instruments; IMeterFactory comes with the host (AddMetrics).
        services.AddMetrics();
        services.AddSingleton<RoofKitMetrics>();
        return services;
    }
}
