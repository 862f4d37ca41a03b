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

    /// <summary>The setting that names the base URL partners call; the document's only <c>servers</c> entry.</summary>
    public const string PublicBaseUrlSetting = "Api:PublicBaseUrl";

    /// <summary>Where <c>make run</c> serves, and so the base URL of docs/openapi.json and of clients generated from it.</summary>
    public const string DefaultPublicBaseUrl = "http://127.0.0.1:5080";

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

    /// <summary>
    /// <c>Api:PublicBaseUrl</c>, an absolute http or https URL without query or fragment (and without its trailing
    /// <c>/</c>), or <see cref="DefaultPublicBaseUrl"/> when it is not set. A bad value stops the API at start.
    /// </summary>
    public static string PublicBaseUrl(IConfiguration configuration)
    {
        var value = configuration[PublicBaseUrlSetting];
        if (string.IsNullOrWhiteSpace(value))
        {
            return DefaultPublicBaseUrl;
        }

        if (!Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri)
            || uri.Scheme is not ("http" or "https")
            || uri.Query.Length > 0
            || uri.Fragment.Length > 0)
        {
            throw new InvalidOperationException(
                $"{PublicBaseUrlSetting} must be an absolute http or https URL without query or fragment, such as https://api.example.com.");
        }

        return uri.GetLeftPart(UriPartial.Path).TrimEnd('/');
    }

    public static IServiceCollection AddRoofKitOpenApi(this IServiceCollection services, IConfiguration configuration)
    {
        var publicBaseUrl = PublicBaseUrl(configuration);
        services.AddOpenApiDocument(settings =>
        {
            settings.DocumentName = "v1";
            settings.Title = "RoofKit Partner API";
            settings.Version = "v1";
            settings.Description = Description;
            settings.UseHttpAttributeNameAsOperationId = true;
            settings.SchemaSettings.SchemaProcessors.Add(new PartnerSchemaProcessor());
            settings.OperationProcessors.Add(new LeadQueryParametersProcessor());
            settings.OperationProcessors.Add(new PartnerOperationProcessor(publicBaseUrl));
            settings.DocumentProcessors.Add(new PartnerDocumentProcessor());
        });
        return services;
    }

    public static WebApplication UseRoofKitOpenApi(this WebApplication app)
    {
        var publicBaseUrl = PublicBaseUrl(app.Configuration);
        app.UseOpenApi(settings =>
        {
            settings.Path = "/openapi/{documentName}.json";
            // NSwag writes the address of the request into servers; the document says the configured one instead, so
            // that it is the same whoever fetches it (and, with the default, byte for byte docs/openapi.json), and a
            // generated client gets an absolute base URL (a relative one leaves Kiota's and NSwag's clients without).
            // Swagger UI's "Try it out" calls it too: an instance served elsewhere sets Api:PublicBaseUrl to its address.
            settings.PostProcess = (document, _) =>
            {
                document.Servers.Clear();
                document.Servers.Add(new PartnerServer
                {
                    Url = publicBaseUrl,
                    Description = "The RoofKit Partner API: production at the address its operator sets in `Api:PublicBaseUrl`; "
                        + "by default `make run`'s local address.",
                });
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

    /// <summary>A server for partners, which says so (<c>x-internal: false</c>) to documentation tools and linters.</summary>
    private sealed class PartnerServer : OpenApiServer
    {
        [Newtonsoft.Json.JsonProperty("x-internal")]
        public bool Internal { get; } = false;
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
