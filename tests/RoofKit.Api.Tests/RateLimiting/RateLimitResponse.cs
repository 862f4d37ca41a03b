using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using RoofKit.Api.Tests.Support;
using RoofKit.Domain.ApiKeys;

namespace RoofKit.Api.Tests.RateLimiting;

/// <summary>Reads the rate-limit headers of CONTRACT.md §4 and builds clients and tokens for the rate-limit tests.</summary>
internal static class RateLimitResponse
{
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    public static int Limit(HttpResponseMessage response) => int.Parse(Single(response, "X-RateLimit-Limit"), CultureInfo.InvariantCulture);

    public static int Remaining(HttpResponseMessage response) => int.Parse(Single(response, "X-RateLimit-Remaining"), CultureInfo.InvariantCulture);

    public static string Reset(HttpResponseMessage response) => Single(response, "X-RateLimit-Reset");

    public static string RetryAfter(HttpResponseMessage response) => Single(response, "Retry-After");

    public static bool HasRateLimitHeaders(HttpResponseMessage response) =>
        response.Headers.Contains("X-RateLimit-Limit")
        || response.Headers.Contains("X-RateLimit-Remaining")
        || response.Headers.Contains("X-RateLimit-Reset");

    /// <summary>A client of <paramref name="factory"/> that sends <paramref name="token"/> from <paramref name="clientAddress"/>.</summary>
    public static HttpClient ClientOf(ApiFactory factory, string? token, string clientAddress)
    {
        var client = factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        client.DefaultRequestHeaders.Add("X-Forwarded-For", clientAddress);
        return client;
    }

    /// <summary>
    /// A well-formed token (valid checksum) with the public id of <paramref name="token"/> and another secret: it names
    /// a real key, reaches the database lookup, and fails there.
    /// </summary>
    public static string WrongSecretFor(string token)
    {
        ApiKeyToken.TryParse(token, out var parsed).Should().BeTrue();
        var secret = parsed!.Secret[^1] == 'A' ? parsed.Secret[..^1] + "B" : parsed.Secret[..^1] + "A";
        var body = ApiKeyToken.Prefix + parsed.PublicId + secret;
        var forged = body + Checksum(body);
        ApiKeyToken.TryParse(forged, out _).Should().BeTrue("the forged token must pass the checksum to reach the key lookup");
        return forged;
    }

    private static string Single(HttpResponseMessage response, string name)
    {
        response.Headers.TryGetValues(name, out var values).Should().BeTrue($"a {(int)response.StatusCode} must carry {name}");
        return values!.Single();
    }

    // The checksum of ApiKeyToken (first 32 bits of SHA-256, six base62 digits), which keeps it private.
    private static string Checksum(string body)
    {
        var crc = BitConverter.ToUInt32(SHA256.HashData(Encoding.ASCII.GetBytes(body)), 0);
        var chars = new char[ApiKeyToken.ChecksumLength];
        for (var i = chars.Length - 1; i >= 0; i--)
        {
            chars[i] = Alphabet[(int)(crc % 62)];
            crc /= 62;
        }

        return new string(chars);
    }
}
