using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using RoofKit.Application.Common.Exceptions;

namespace RoofKit.Application.Leads.Common;

/// <summary>
/// Turns cursors into opaque, signed text and back: <c>base64url(kind || json || HMAC-SHA256)</c>,
/// where the kind byte is also the format's version. Any change to a byte, another kind or version, or another workspace makes <see cref="Unprotect"/> throw
/// <see cref="InvalidCursorException"/>.
/// </summary>
public sealed class LeadCursorProtector
{
    /// <summary>
    /// The longest text a request may send as a cursor: room for any cursor <see cref="Protect"/> makes, even with
    /// every text filter at its maximum length in characters that JSON escapes (six bytes each).
    /// </summary>
    public const int MaxLength = 16 * 1024;

    private const int MacLength = 32;
    private readonly byte[] key;

    public LeadCursorProtector(IOptions<CursorOptions> options)
    {
        var signingKey = options.Value.SigningKey;
        if (string.IsNullOrEmpty(signingKey) || signingKey.Length < 32)
        {
            throw new InvalidOperationException("Cursor:SigningKey must be set to at least 32 characters.");
        }

        key = Encoding.UTF8.GetBytes(signingKey);
    }

    public string Protect(LeadCursor cursor, CursorKind kind = CursorKind.Leads)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(
            new Payload(cursor.WorkspaceId, cursor.After.UpdatedAt.Ticks, cursor.After.Id, cursor.Watermark.Ticks, cursor.Filter, cursor.ReadAfterWal));
        var bytes = new byte[1 + payload.Length + MacLength];
        bytes[0] = (byte)kind;
        payload.CopyTo(bytes, 1);
        HMACSHA256.HashData(key, bytes.AsSpan(0, 1 + payload.Length), bytes.AsSpan(1 + payload.Length));
        return Base64Url.EncodeToString(bytes);
    }

    public LeadCursor Unprotect(string text, Guid workspaceId, CursorKind kind = CursorKind.Leads)
    {
        byte[] bytes;
        try
        {
            bytes = Base64Url.DecodeFromChars(text);
        }
        catch (FormatException)
        {
            throw new InvalidCursorException();
        }

        // The decoder forgives padding, '%' and whitespace; a cursor is only ever accepted exactly as it was issued.
        if (bytes.Length <= 1 + MacLength || bytes[0] != (byte)kind || !Base64Url.EncodeToString(bytes).Equals(text, StringComparison.Ordinal))
        {
            throw new InvalidCursorException();
        }

        var signed = bytes.AsSpan(0, bytes.Length - MacLength);
        Span<byte> expected = stackalloc byte[MacLength];
        HMACSHA256.HashData(key, signed, expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, bytes.AsSpan(bytes.Length - MacLength)))
        {
            throw new InvalidCursorException();
        }

        Payload? payload;
        try
        {
            payload = JsonSerializer.Deserialize<Payload>(signed[1..]);
        }
        catch (JsonException)
        {
            throw new InvalidCursorException();
        }

        if (payload is null || payload.Ws != workspaceId || payload.F is null || !IsTicks(payload.U) || !IsTicks(payload.W) || payload.L < 0)
        {
            throw new InvalidCursorException();
        }

        return new LeadCursor(
            payload.Ws,
            new KeysetPosition(new DateTime(payload.U, DateTimeKind.Utc), payload.I),
            new DateTime(payload.W, DateTimeKind.Utc),
            payload.F,
            payload.L);
    }

    private static bool IsTicks(long ticks) => ticks >= DateTime.MinValue.Ticks && ticks <= DateTime.MaxValue.Ticks;

    // L is left out when 0, so that a cursor without a replica is byte for byte what it was before ADR-011.
    private sealed record Payload(
        Guid Ws, long U, Guid I, long W, LeadFilter F,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] long L = 0);
}
