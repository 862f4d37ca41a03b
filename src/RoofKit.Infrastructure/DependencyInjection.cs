using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using RoofKit.Application.Common.Interfaces;
using RoofKit.Application.Leads.Common;
using RoofKit.Application.StatusStages.Queries.ListStatusStages;
using RoofKit.Infrastructure.ApiKeys;
using RoofKit.Infrastructure.Health;
using RoofKit.Infrastructure.Leads;
using RoofKit.Infrastructure.Persistence;
using RoofKit.Infrastructure.RateLimiting;
using RoofKit.Infrastructure.Exports;
using RoofKit.Infrastructure.Seeding;
using RoofKit.Infrastructure.Sync;
using RoofKit.Infrastructure.Workspaces;

namespace RoofKit.Infrastructure;

public static class DependencyInjection
{
    public static IServiceCollection AddInfrastructureServices(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<DatabaseOptions>(configuration.GetSection(DatabaseOptions.SectionName));

        services.AddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<DatabaseOptions>>().Value;
            return CreateDataSource(PrimaryConnectionString(configuration), options, options.MaxPoolSize, "roofkit-api");
        });
        services.AddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<DatabaseOptions>>().Value;
            var replica = configuration.GetConnectionString("ReadReplica");
            var primary = PrimaryConnectionString(configuration);
            var reads = CreateDataSource(string.IsNullOrWhiteSpace(replica) ? primary : replica, options, options.ReadMaxPoolSize, "roofkit-api-read");
            if (string.IsNullOrWhiteSpace(replica))
            {
                return new ReadDataSource(reads);
            }

            // Sync pages the replica cannot serve yet go to the primary, through a read pool of their own (ADR-011).
            return new ReadDataSource(
                reads,
                CreateDataSource(primary, options, options.ReadMaxPoolSize, "roofkit-api-read-primary"),
                TimeSpan.FromMilliseconds(options.ReplicaWaitMilliseconds),
                provider.GetRequiredService<ILogger<ReadDataSource>>());
        });

        // Repositories, stores and admin services are stateless over the data sources (the key store keeps
        // only its last-used throttle), so one instance each serves every request. Each is named here: a class
        // that is not listed is not registered, whatever it is called.
        services.AddSingleton<ILeadRepository, LeadRepository>();
        services.AddSingleton<IDeletionRepository, DeletionRepository>();
        services.AddSingleton<IStatusStageRepository, StatusStageRepository>();
        services.AddSingleton<IApiKeyStore, ApiKeyStore>();
        services.AddSingleton<IRateLimitStore, RateLimitStore>();
        // The sync window's view of open transactions (ADR-006) and the export slots (ADR-007).
        services.AddSingleton<ISyncHorizon, SyncHorizonReader>();
        services.AddSingleton<IExportSlots, ExportSlots>();
        services.AddSingleton<IConnectionPools, ConnectionPools>();
        // Keys seen lately, emptied on every key or workspace change (ADR-010).
        services.Configure<ApiKeyCacheOptions>(configuration.GetSection(ApiKeyCacheOptions.SectionName));
        services.AddSingleton<ApiKeyCache>();

        // The admin CLI's services.
        services.AddSingleton<WorkspaceAdmin>();
        services.AddSingleton<ApiKeyAdmin>();
        services.AddSingleton<LeadSeeder>();
        services.AddSingleton(provider => new DatabaseMigrator(
            Normalize(PrimaryConnectionString(configuration)), provider.GetRequiredService<ILogger<DatabaseMigrator>>()));
        return services;
    }

    /// <summary>Adds the work that only a serving API instance does in the background.</summary>
    public static IServiceCollection AddInfrastructureBackgroundServices(this IServiceCollection services)
    {
        services.AddHostedService<RateLimitCounterCleanup>();
        // Its own connection, outside the pools: it is held for the instance's lifetime, and its LISTEN must never
        // be handed to a request.
        services.AddHostedService(provider =>
        {
            var listener = ConnectionStrings.Parse(PrimaryConnectionString(provider.GetRequiredService<IConfiguration>()));
            listener.Pooling = false;
            listener.ApplicationName = $"{listener.ApplicationName ?? "roofkit-api"}-keys";
            listener.Timeout = provider.GetRequiredService<IOptions<DatabaseOptions>>().Value.ConnectTimeoutSeconds;
            return ActivatorUtilities.CreateInstance<ApiKeyChangeListener>(provider, NpgsqlDataSource.Create(listener.ConnectionString));
        });
        services.AddSingleton<DeletionRetentionPurge>();
        services.AddHostedService(provider => provider.GetRequiredService<DeletionRetentionPurge>());
        return services;
    }

    /// <summary>
    /// The checks behind /healthz and /healthz/ready: each pool of the instance (ADR-007) answers a query, and DbUp's
    /// journal holds every migration of this build.
    /// </summary>
    public static IServiceCollection AddInfrastructureHealthChecks(this IServiceCollection services)
    {
        string[] databaseAndReady = [DatabaseHealthChecks.Database, DatabaseHealthChecks.Ready];
        services.AddHealthChecks()
            .Add(new HealthCheckRegistration(DatabaseHealthChecks.Primary,
                provider => new DatabaseHealthCheck(provider.GetRequiredService<NpgsqlDataSource>()),
                HealthStatus.Unhealthy, databaseAndReady, DatabaseHealthChecks.Timeout))
            .Add(new HealthCheckRegistration(DatabaseHealthChecks.Read,
                provider => new DatabaseHealthCheck(provider.GetRequiredService<ReadDataSource>().DataSource),
                HealthStatus.Unhealthy, databaseAndReady, DatabaseHealthChecks.Timeout))
            .Add(new HealthCheckRegistration(DatabaseHealthChecks.Migrations,
                provider => new MigrationsHealthCheck(provider.GetRequiredService<NpgsqlDataSource>()),
                HealthStatus.Unhealthy, [DatabaseHealthChecks.Ready], DatabaseHealthChecks.Timeout));
        return services;
    }

    private static string PrimaryConnectionString(IConfiguration configuration) =>
        configuration.GetConnectionString("Default")
        ?? configuration["ROOFKIT_DATABASE_URL"]
        ?? throw new InvalidOperationException("Set ConnectionStrings:Default (or ROOFKIT_DATABASE_URL) to the PostgreSQL database.");

    private static NpgsqlDataSource CreateDataSource(
        string connectionString, DatabaseOptions options, int maxPoolSize, string applicationName)
    {
        var builder = ConnectionStrings.Parse(connectionString);
        builder.Timeout = options.ConnectTimeoutSeconds;
        builder.CommandTimeout = options.StatementTimeoutSeconds + 5;
        builder.MaxPoolSize = maxPoolSize;
        builder.Options = $"-c statement_timeout={options.StatementTimeoutSeconds * 1000}";
        builder.ApplicationName ??= applicationName;

        // Every request runs the same few statements (key lookup, counter upsert, a slice query per filter shape);
        // preparing them server-side after two uses saves PostgreSQL the parse and plan each time.
        builder.MaxAutoPrepare = 32;
        builder.AutoPrepareMinUsages = 2;
        // No statement here sets session state (isolation and locks are per transaction), so a connection going back
        // to the pool need not be reset: the reset was a statement of its own, prepended to every request's first
        // statement on each connection (ADR-010).
        builder.NoResetOnClose = true;
        // The pool's name in Npgsql's metrics; without one Npgsql names it by the connection string (host, database, user).
        return new NpgsqlDataSourceBuilder(builder.ConnectionString) { Name = applicationName }.Build();
    }

    /// <summary>The connection string with the settings of <see cref="ConnectionStrings"/>, for tools that take a string (DbUp).</summary>
    private static string Normalize(string connectionString) => ConnectionStrings.Parse(connectionString).ConnectionString;
}
