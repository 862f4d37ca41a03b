using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace RoofKit.Domain.ApiKeys;

/// <summary>
/// The text of an API key: <c>rk_live_</c>, then base62 text made of a 12-character public id, a
/// 32-character secret and a 6-character checksum (the first 32 bits of SHA-256) of everything before it. The checksum lets a
/// mistyped or made-up key be refused without a database call; only a SHA-256 hash of the secret is stored.
/// </summary>
public sealed class ApiKeyToken
{
    public const string Prefix = "rk_live_";
    public const int PublicIdLength = 12;
    public const int SecretLength = 32;
    public const int ChecksumLength = 6;
    public const int Length = 8 + PublicIdLength + SecretLength + ChecksumLength;

    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    private ApiKeyToken(string publicId, string secret, string text)
    {
        PublicId = publicId;
        Secret = secret;
        Text = text;
    }

    public string PublicId { get; }

    public string Secret { get; }

    public string Text { get; }

    public byte[] SecretHash() => HashSecret(Secret);

    public static byte[] HashSecret(string secret) => SHA256.HashData(Encoding.ASCII.GetBytes(secret));

    public static ApiKeyToken Generate()
    {
        var publicId = RandomNumberGenerator.GetString(Alphabet, PublicIdLength);
        var secret = RandomNumberGenerator.GetString(Alphabet, SecretLength);
        var body = Prefix + publicId + secret;
        return new ApiKeyToken(publicId, secret, body + Checksum(body));
    }

    /// <summary>Checks shape and checksum only; says nothing about whether the key exists.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out ApiKeyToken? token)
    {
        token = null;
        if (text is null || text.Length != Length || !text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        for (var i = Prefix.Length; i < text.Length; i++)
        {
            if (!char.IsAsciiLetterOrDigit(text[i]))
            {
                return false;
            }
        }

        var body = text[..^ChecksumLength];
        if (!CryptographicOperations.FixedTimeEquals(
                Encoding.ASCII.GetBytes(Checksum(body)), Encoding.ASCII.GetBytes(text[^ChecksumLength..])))
        {
            return false;
        }

        token = new ApiKeyToken(
            text.Substring(Prefix.Length, PublicIdLength),
            text.Substring(Prefix.Length + PublicIdLength, SecretLength),
            text);
        return true;
    }

    private static string Checksum(string body)
    {
        var crc = BitConverter.ToUInt32(SHA256.HashData(Encoding.ASCII.GetBytes(body)), 0);
        Span<char> chars = stackalloc char[ChecksumLength];
        for (var i = ChecksumLength - 1; i >= 0; i--)
        {
            chars[i] = Alphabet[(int)(crc % 62)];
            crc /= 62;
        }

        return new string(chars);
    }
}
