using System.IO.Compression;
using System.Net;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.Extensions.DependencyInjection.Extensions;
using RoofKit.Api.Authentication;
using RoofKit.Api.Errors;
using RoofKit.Api.Formatters;
using RoofKit.Api.Http;
using RoofKit.Api.Observability;
using RoofKit.Api.OpenApi;
using RoofKit.Application.Common.Interfaces;
using RoofKit.Application.Leads.Queries.ExportLeads;

namespace RoofKit.Api;

public static class DependencyInjection
{
    public static IServiceCollection AddApiServices(this IServiceCollection services, IConfiguration configuration)
    {
        // No stack trace in a log line: an exception is logged as one line (type, message, the API's method).
        services.AddOneLineExceptionConsoleLog();
        services.AddHttpContextAccessor();
        services.AddScoped<ICurrentApiKey, HttpCurrentApiKey>();
        services.AddSingleton<ILeadCsvEncoder, LeadCsvEncoder>();

        // AddAuthentication() would also register DataProtection, for cookies and remote sign-in; its key ring is created
        // at start and stored unencrypted, with a warning at every start. An API of Bearer keys protects nothing with it,
        // so only the core services and the one scheme are registered.
        services.AddAuthenticationCore();
        // No default scheme, so that only endpoints that require a key authenticate (ExplicitSchemeProvider).
        services.Replace(ServiceDescriptor.Singleton<IAuthenticationSchemeProvider, ExplicitSchemeProvider>());
        services.AddWebEncoders();
        new AuthenticationBuilder(services)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorization(options => options.DefaultPolicy =
            new AuthorizationPolicyBuilder(ApiKeyAuthenticationHandler.SchemeName).RequireAuthenticatedUser().Build());

        services.AddControllers(options =>
            {
                options.OutputFormatters.Insert(0, new CsvOutputFormatter());
                options.RespectBrowserAcceptHeader = true;
            })
            .AddJsonOptions(options => ApiJson.Configure(options.JsonSerializerOptions))
            .ConfigureApiBehaviorOptions(options => options.SuppressModelStateInvalidFilter = true);
        services.ConfigureHttpJsonOptions(options => ApiJson.Configure(options.SerializerOptions));

        // One instance for both of its callers: the exception handler middleware, and the authentication challenge,
        // which answers a failed authentication itself instead of throwing.
        services.AddSingleton<ApiExceptionHandler>();
        services.AddSingleton<Microsoft.AspNetCore.Diagnostics.IExceptionHandler>(provider => provider.GetRequiredService<ApiExceptionHandler>());
        services.AddProblemDetails();

        services.AddResponseCompression(options =>
        {
            options.EnableForHttps = true;
            options.Providers.Add<BrotliCompressionProvider>();
            options.Providers.Add<GzipCompressionProvider>();
            options.MimeTypes = ["text/csv", "application/json"];
        });
        services.Configure<BrotliCompressionProviderOptions>(o => o.Level = CompressionLevel.Fastest);
        services.Configure<GzipCompressionProviderOptions>(o => o.Level = CompressionLevel.Fastest);

        // The client address (for the invalid-auth bucket) is the TCP peer's; X-Forwarded-For is believed only from the
        // trusted proxies. With both KnownProxies and KnownIPNetworks empty the middleware would believe every peer, so
        // with none configured it must not read the header at all. Without a limit on hops, the entries are taken from
        // the right for as long as each came from a trusted proxy: whatever a client writes to the left stays unread.
        services.Configure<ForwardedHeadersOptions>(options =>
        {
            var trustedProxies = configuration.GetSection("Network:TrustedProxies").Get<string[]>()?
                .Where(p => !string.IsNullOrWhiteSpace(p)).ToArray() ?? [];
            options.ForwardedHeaders = trustedProxies.Length == 0 ? ForwardedHeaders.None : ForwardedHeaders.XForwardedFor;
            options.ForwardLimit = null;
            options.KnownIPNetworks.Clear();
            options.KnownProxies.Clear();
            foreach (var proxy in trustedProxies)
            {
                if (proxy.Contains('/', StringComparison.Ordinal))
                {
                    options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(proxy.Trim()));
                }
                else
                {
                    options.KnownProxies.Add(IPAddress.Parse(proxy.Trim()));
                }
            }
        });

        services.AddRoofKitOpenApi(configuration);
        services.AddRoofKitMetrics(configuration);
        return services;
    }

    public static WebApplication UseRoofKitApi(this WebApplication app)
    {
        // First, so that every log line of a request, the error handler's too, carries its request_id.
        app.UseMiddleware<RequestLogScopeMiddleware>();
        app.UseForwardedHeaders();
        app.UseMiddleware<ResponseHeadersMiddleware>();
        app.UseResponseCompression();
        app.UseExceptionHandler();
        app.UseMiddleware<RequestLimitsMiddleware>();
        app.UseStatusCodePages(StatusCodeResponses.WriteAsync);
        app.UseRoofKitOpenApi();
        app.UseRouting();
        app.UseAuthorization();
        app.MapControllers();
        return app;
    }
}
