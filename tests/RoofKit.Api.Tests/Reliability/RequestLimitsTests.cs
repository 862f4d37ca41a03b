using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using RoofKit.Api.Tests.Support;

namespace RoofKit.Api.Tests.Reliability;

/// <summary>
/// Over real Kestrel and a raw socket (HttpClient refuses URLs this long): a request whose URL or headers are too
/// large still gets the ErrorResponse JSON with <c>X-Request-Id</c> (CONTRACT.md §5), because Kestrel's own limits,
/// which it answers with an empty body, sit above the application's.
/// </summary>
public sealed class RequestLimitsTests : ApiTestBase
{
    private Uri address = null!;

    protected override Task OneTimeSetUpAsync()
    {
        address = Kestrel.Start(Factory);
        return Task.CompletedTask;
    }

    [Test]
    public async Task ShouldAnswer414WithAnErrorResponseForAUrlOverTheLimit()
    {
        var response = await SendAsync($"GET /api/v1/leads?source={new string('a', 70_000)} HTTP/1.1", []);

        response.Status.Should().Be(414);
        AssertErrorResponse(response, "invalid_request");
    }

    [Test]
    public async Task ShouldAnswer431WithAnErrorResponseForHeadersOverTheLimit()
    {
        var response = await SendAsync("GET /api/v1/leads HTTP/1.1", [$"X-Padding: {new string('b', 70_000)}"]);

        response.Status.Should().Be(431);
        AssertErrorResponse(response, "invalid_request");
    }

    [Test]
    public async Task ShouldAnswer431WithAnErrorResponseForTooManyHeaders()
    {
        var headers = Enumerable.Range(0, 150).Select(i => $"X-Extra-{i}: {i}").ToArray();
        var response = await SendAsync("GET /api/v1/leads HTTP/1.1", headers);

        response.Status.Should().Be(431);
        AssertErrorResponse(response, "invalid_request");
    }

    [Test]
    public async Task ShouldServeAUrlJustUnderTheLimit()
    {
        // A missing key is refused before the query is read: what matters is that the URL itself was accepted.
        var target = "/api/v1/leads?source=" + new string('a', 60_000);
        var response = await SendAsync($"GET {target} HTTP/1.1", []);

        response.Status.Should().Be(401);
        AssertErrorResponse(response, "missing_api_key");
    }

    private static void AssertErrorResponse(RawResponse response, string code)
    {
        response.Headers.Should().ContainKey("content-type");
        response.Headers["content-type"].Should().StartWith("application/json");
        response.Headers.Should().ContainKey("x-request-id");
        var error = JsonDocument.Parse(response.Body).RootElement.GetProperty("error");
        error.GetProperty("code").GetString().Should().Be(code);
        error.GetProperty("message").GetString().Should().NotBeNullOrEmpty();
        error.GetProperty("request_id").GetString().Should().Be(response.Headers["x-request-id"]);
    }

    private sealed record RawResponse(int Status, Dictionary<string, string> Headers, string Body);

    /// <summary>Sends one HTTP/1.1 request as written and reads the whole answer (the server closes the connection).</summary>
    private async Task<RawResponse> SendAsync(string requestLine, string[] headers)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port);
        await using var stream = tcp.GetStream();
        var request = new StringBuilder().Append(requestLine).Append("\r\n")
            .Append(CultureInfo.InvariantCulture, $"Host: {address.Authority}\r\n")
            .Append("X-Forwarded-For: 10.31.").Append(Random.Shared.Next(256)).Append('.').Append(Random.Shared.Next(1, 255)).Append("\r\n")
            .Append("Connection: close\r\n");
        foreach (var header in headers)
        {
            request.Append(header).Append("\r\n");
        }

        await stream.WriteAsync(Encoding.ASCII.GetBytes(request.Append("\r\n").ToString()));
        using var received = new MemoryStream();
        await stream.CopyToAsync(received);
        var text = Encoding.UTF8.GetString(received.ToArray());

        var headEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        headEnd.Should().BePositive($"an HTTP response, not '{text}'");
        var lines = text[..headEnd].Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], CultureInfo.InvariantCulture);
        var parsed = lines.Skip(1).Select(l => l.Split(':', 2))
            .ToDictionary(p => p[0].Trim().ToLowerInvariant(), p => p[1].Trim());
        var body = text[(headEnd + 4)..];
        if (parsed.TryGetValue("transfer-encoding", out var encoding) && encoding == "chunked")
        {
            body = Dechunk(body);
        }

        return new RawResponse(status, parsed, body);
    }

    private static string Dechunk(string chunked)
    {
        var body = new StringBuilder();
        var at = 0;
        while (true)
        {
            var lineEnd = chunked.IndexOf("\r\n", at, StringComparison.Ordinal);
            var size = int.Parse(chunked[at..lineEnd], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (size == 0)
            {
                return body.ToString();
            }

            body.Append(chunked, lineEnd + 2, size);
            at = lineEnd + 2 + size + 2;
        }
    }
}
