using NSwag;
using NSwag.Generation.Processors;
using NSwag.Generation.Processors.Contexts;

namespace RoofKit.Api.OpenApi;

/// <summary>
/// The OpenAPI document at <c>/openapi/v1.json</c> and Swagger UI at <c>/docs</c>. docs/openapi.json is a copy of
/// the served document; a test fails when they differ (regenerate it with <c>make openapi</c>).
/// </summary>
public static class OpenApiSetup
{
    public const string DocumentPath = "/openapi/v1.json";

    private const string Description = """
        Read a RoofKit workspace's leads: list them as JSON, export them as CSV, map their pipeline stages.

        **Authentication.** Send `Authorization: Bearer rk_live_…`, a key the workspace issued. Each operation names the
        scope its key needs (`x-scopes`): `leads.read` or `leads.export`.

        **Rate limits.** One bucket per key and endpoint (fixed windows); every response that reached it carries
        `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`, and a 429 also `Retry-After`.

        **Errors.** Every non-2xx answer is an `ErrorResponse` with a stable `error.code`; every response carries `X-Request-Id`.

        **Paging and sync.** Leads come oldest change first. Follow `next_cursor` (list) or `X-Export-Next-Cursor` (export);
        start the next run with `from` = the previous run's `X-Sync-Watermark`, and upsert rows by `id`.
        """;

    public static IServiceCollection AddRoofKitOpenApi(this IServiceCollection services)
    {
        services.AddOpenApiDocument(settings =>
        {
            settings.DocumentName = "v1";
            settings.Title = "RoofKit Partner API";
            settings.Version = "v1";
            settings.Description = Description;
            settings.UseHttpAttributeNameAsOperationId = true;
            settings.SchemaSettings.SchemaProcessors.Add(new PartnerSchemaProcessor());
            settings.OperationProcessors.Add(new LeadQueryParametersProcessor());
            settings.OperationProcessors.Add(new PartnerOperationProcessor());
            settings.DocumentProcessors.Add(new PartnerDocumentProcessor());
        });
        return services;
    }

    public static WebApplication UseRoofKitOpenApi(this WebApplication app)
    {
        app.UseOpenApi(settings =>
        {
            settings.Path = "/openapi/{documentName}.json";
            // The same document wherever it is served (and byte for byte docs/openapi.json): clients call the host
            // they fetched it from.
            settings.PostProcess = (document, _) =>
            {
                document.Servers.Clear();
                document.Servers.Add(new OpenApiServer { Url = "/", Description = "The server that serves this document" });
            };
        });
        app.UseSwaggerUi(settings =>
        {
            settings.Path = "/docs";
            settings.DocumentPath = DocumentPath;
            settings.DocumentTitle = "RoofKit Partner API";
            // Operations open read-only; "Try it out" makes the parameters editable.
            settings.EnableTryItOut = false;
            settings.PersistAuthorization = true;
            settings.DocExpansion = "list";
            // The page shows this API's document only (CONTRACT.md §1), so that a key typed into it is never sent to
            // another server. NSwag 14.8's index.html passes `?url=` from the address bar to Swagger UI as `url:`;
            // AdditionalSettings are written after it into the same object literal, where the later `url` wins.
            // Swagger UI would read `?configUrl=` (and `?url=`) itself with queryConfigEnabled; its default is off,
            // and it is said here so that no upgrade turns it on.
            settings.AdditionalSettings["url"] = DocumentPath;
            settings.AdditionalSettings["queryConfigEnabled"] = false;
        });
        return app;
    }

    /// <summary>The Bearer scheme and the tags' descriptions.</summary>
    private sealed class PartnerDocumentProcessor : IDocumentProcessor
    {
        public void Process(DocumentProcessorContext context)
        {
            var document = context.Document;
            document.Components.SecuritySchemes[PartnerOperationProcessor.SecuritySchemeName] = new OpenApiSecurityScheme
            {
                Type = OpenApiSecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "rk_live_…",
                Description = "A workspace's API key: `rk_live_` followed by base62 text with a checksum, shown once when it is "
                    + "created. Paste the whole key; it is sent as `Authorization: Bearer <key>`.",
            };
            document.Tags =
            [
                new OpenApiTag { Name = "Leads", Description = "The workspace's leads, as JSON pages or CSV exports, with the same filters and cursors." },
                new OpenApiTag { Name = "StatusStages", Description = "The workspace's pipeline stages." },
                new OpenApiTag { Name = "Health", Description = "For load balancers; needs no key." },
            ];
        }
    }
}
