using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using RoofKit.Api.Authentication;
using RoofKit.Api.Tests.Support;

namespace RoofKit.Api.Tests.Reliability;

/// <summary>
/// A failed authentication is answered by the challenge itself. It used to throw for the exception handler to
/// answer; when ASP.NET Core re-executed the pipeline for another exception (`make soak` met one as its bad-key
/// clients hung up), the challenge threw again from inside the handler, and Kestrel logged an "unhandled exception"
/// at Error, with its stack trace, for a plain 401.
/// </summary>
public sealed class ChallengeAnswersItselfTests : ApiTestBase
{
    [Test]
    public async Task ShouldWriteTheDocumentedUnauthorizedAnswerFromTheChallengeWithoutThrowing()
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider, TraceIdentifier = "test-request" };
        context.Response.Body = new MemoryStream();

        await context.ChallengeAsync(ApiKeyAuthenticationHandler.SchemeName);

        context.Response.StatusCode.Should().Be(401);
        context.Response.Headers.WWWAuthenticate.ToString().Should().Be("Bearer realm=\"RoofKit Partner API\"");
        context.Response.ContentType.Should().StartWith("application/json");
        context.Response.Body.Position = 0;
        var error = (await System.Text.Json.JsonDocument.ParseAsync(context.Response.Body)).RootElement.GetProperty("error");
        error.GetProperty("code").GetString().Should().Be("missing_api_key");
        error.GetProperty("request_id").GetString().Should().Be("test-request");
    }
}
