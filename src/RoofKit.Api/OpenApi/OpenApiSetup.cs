namespace RoofKit.Api.OpenApi;

public static class OpenApiSetup
{
    public static IServiceCollection AddRoofKitOpenApi(this IServiceCollection services)
    {
        services.AddOpenApiDocument(settings =>
        {
            settings.DocumentName = "v1";
            settings.Title = "RoofKit Partner API";
            settings.Version = "v1";
        });
        return services;
    }

    public static WebApplication UseRoofKitOpenApi(this WebApplication app)
    {
        app.UseOpenApi(settings => settings.Path = "/openapi/{documentName}.json");
        app.UseSwaggerUi(settings =>
        {
            settings.Path = "/docs";
            settings.DocumentPath = "/openapi/v1.json";
        });
        return app;
    }
}
