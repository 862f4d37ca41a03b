using System.Globalization;
using System.Net;
using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Http.HttpClientLibrary;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware.Options;
using RoofKit.KiotaClient;
using RoofKit.Testing;
using KiotaError = RoofKit.KiotaClient.Models.ErrorResponse;

namespace RoofKit.Client.Tests.Kiota;

/// <summary>
/// The partner tasks of <see cref="GeneratedClientTests"/> with a client that Kiota generated from docs/openapi.json
/// (the RoofKitKiotaClient target of this project): its base URL from the document's servers, cursor paging, the
/// export's segment headers through Kiota's headers inspection option, and errors as exceptions whose Message is the
/// server's message and whose error code can be read.
/// </summary>
public sealed class KiotaClientTests : GeneratedClientTestBase
{
    private const string CsvHeader =
        "id,first_name,last_name,email,phone,street,city,region,postal_code,source,medium,campaign,status_stage_id,status_stage_name,notes,created_at,updated_at";

    [Test]
    public void ShouldTakeItsBaseUrlFromTheDocumentsServers()
    {
        var adapter = new HttpClientRequestAdapter(new AnonymousAuthenticationProvider());

        _ = new RoofKitKiotaClient(adapter);

        adapter.BaseUrl.Should().Be("http://127.0.0.1:5080", "docs/openapi.json names make run's address as its server");
    }

    [Test]
    public async Task ShouldListEveryLeadOnceByFollowingNextCursor()
    {
        var client = Kiota(FullKey);
        var ids = new List<Guid>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var headers = new HeadersInspectionHandlerOption { InspectResponseHeaders = true };
            var page = (await client.Api.V1.Leads.GetAsync(request =>
            {
                request.QueryParameters.Limit = 50;
                request.QueryParameters.Cursor = cursor;
                request.Options.Add(headers);
            }))!;
            Header(headers, "X-Sync-Watermark").Should().MatchRegex(@"^[0-9-]{10}T[0-9:]{8}\.[0-9]{3}Z$");
            ids.AddRange(page.Data!.Select(l => l.Id!.Value));
            (page.NextCursor is not null).Should().Be(page.HasMore!.Value);
            cursor = page.NextCursor;
            pages++;
        }
        while (cursor is not null);

        pages.Should().Be(3);
        ids.Should().HaveCount(Leads).And.OnlyHaveUniqueItems();
    }

    [Test]
    public async Task ShouldExportInSegmentsReadingTruncationNextCursorAndRowCountHeaders()
    {
        var client = Kiota(FullKey);
        var ids = new List<string>();
        var segments = new List<(bool Truncated, int Rows)>();
        string? cursor = null;
        do
        {
            var headers = new HeadersInspectionHandlerOption { InspectResponseHeaders = true };
            await using var body = (await client.Api.V1.Leads.Export.GetAsync(request =>
            {
                request.QueryParameters.Limit = 50;
                request.QueryParameters.Cursor = cursor;
                request.Options.Add(headers);
            }))!;
            using var bytes = new MemoryStream();
            await body.CopyToAsync(bytes);
            var records = Csv.Parse(bytes.ToArray());

            string.Join(',', records[0]).Should().Be(CsvHeader);
            var truncated = bool.Parse(Header(headers, "X-Export-Truncated"));
            int.Parse(Header(headers, "X-Export-Row-Count"), CultureInfo.InvariantCulture).Should().Be(records.Count - 1);
            cursor = truncated ? Header(headers, "X-Export-Next-Cursor") : null;
            headers.ResponseHeaders.ContainsKey("X-Export-Next-Cursor").Should().Be(truncated);
            ids.AddRange(records.Skip(1).Select(r => r[0]));
            segments.Add((truncated, records.Count - 1));
        }
        while (cursor is not null);

        segments.Should().Equal((true, 50), (true, 50), (false, 20));
        ids.Should().HaveCount(Leads).And.OnlyHaveUniqueItems();
    }

    [Test]
    public async Task ShouldRaiseAValidationErrorWithTheServersMessageAndCode()
    {
        var act = () => Kiota(FullKey).Api.V1.Leads.GetAsync(request => request.QueryParameters.Limit = 201);

        var error = (await act.Should().ThrowAsync<KiotaError>()).Which;
        error.Message.Should().Be("limit must be between 1 and 200.");
        error.ResponseStatusCode.Should().Be((int)HttpStatusCode.BadRequest);
        error.Error!.Code.Should().Be("invalid_request");
        error.Error.Param.Should().Be("limit");
        error.Error.Details.Should().ContainSingle(d => d.Param == "limit");
        error.Error.RequestId.Should().Be(error.ResponseHeaders["X-Request-Id"].Single());
    }

    [Test]
    public async Task ShouldRaiseAMissingKeyWithTheServersMessageAndCode()
    {
        var act = () => Kiota(token: null).Api.V1.StatusStages.GetAsync();

        var error = (await act.Should().ThrowAsync<KiotaError>()).Which;
        error.Message.Should().Be("Send an API key as 'Authorization: Bearer <key>'.");
        error.ResponseStatusCode.Should().Be((int)HttpStatusCode.Unauthorized);
        error.Error!.Code.Should().Be("missing_api_key");
        error.ResponseHeaders["WWW-Authenticate"].Single().Should().Be("Bearer realm=\"RoofKit Partner API\"");
    }

    [Test]
    public async Task ShouldRaiseAMissingScopeWithTheServersMessageAndCode()
    {
        var act = () => Kiota(ReadOnlyKey).Api.V1.Leads.Export.GetAsync();

        var error = (await act.Should().ThrowAsync<KiotaError>()).Which;
        error.Message.Should().Be("The API key lacks the scope 'leads.export' that this endpoint requires.");
        error.ResponseStatusCode.Should().Be((int)HttpStatusCode.Forbidden);
        error.Error!.Code.Should().Be("insufficient_scope");
    }

    /// <summary>
    /// The Kiota client as a partner builds it (Kiota's default middleware: retry, redirect, headers inspection, ...)
    /// with the in-process server at the end of the chain instead of the network.
    /// </summary>
    private RoofKitKiotaClient Kiota(string? token)
    {
        var http = Authorized(Microsoft.Kiota.Http.HttpClientLibrary.KiotaClientFactory.Create(Factory.Server.CreateHandler()), token);
        http.BaseAddress = Factory.Server.BaseAddress;
        var adapter = new HttpClientRequestAdapter(new AnonymousAuthenticationProvider(), httpClient: http)
        {
            BaseUrl = Factory.Server.BaseAddress.ToString().TrimEnd('/'),
        };
        return new RoofKitKiotaClient(adapter);
    }

    private static string Header(HeadersInspectionHandlerOption headers, string name) =>
        headers.ResponseHeaders.TryGetValue(name, out var values)
            ? values.Single()
            : throw new AssertionException($"the response has no {name} header");
}
