using System.Numerics;

namespace RoofKit.Api.Http;

/// <summary>
/// A UTC time as partners see it in JSON, CSV and headers: RFC 3339 with milliseconds, <c>2026-03-01T14:05:09.042Z</c>
/// (<see cref="ApiJson.TimestampFormat"/>), written digit by digit into UTF-8 or UTF-16. Every exported row has two of
/// them: a custom format string is parsed again on each call, this is not (ADR-010).
/// </summary>
public readonly struct UtcTimestamp(DateTime utc) : IUtf8SpanFormattable, ISpanFormattable
{
    /// <summary>The length of every timestamp written: <c>yyyy-MM-ddTHH:mm:ss.fffZ</c>.</summary>
    public const int Length = 24;

    // The separators in place; each field's digits are written over its zeros.
    private const string Pattern = "0000-00-00T00:00:00.000Z";

    private static ReadOnlySpan<byte> FieldStarts => [0, 5, 8, 11, 14, 17, 20];

    private static ReadOnlySpan<byte> FieldWidths => [4, 2, 2, 2, 2, 2, 3];

    public DateTime Value { get; } = utc;

    public bool TryFormat(Span<byte> destination, out int bytesWritten, ReadOnlySpan<char> format, IFormatProvider? provider) =>
        TryWrite(destination, out bytesWritten);

    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider) =>
        TryWrite(destination, out charsWritten);

    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    public override string ToString() => string.Create(Length, this, static (span, timestamp) => timestamp.Write<char>(span));

    private bool TryWrite<T>(Span<T> destination, out int written)
        where T : unmanaged, IBinaryInteger<T>
    {
        written = 0;
        if (destination.Length < Length)
        {
            return false;
        }

        Write(destination);
        written = Length;
        return true;
    }

    private void Write<T>(Span<T> to)
        where T : unmanaged, IBinaryInteger<T>
    {
        var (year, month, day) = Value;
        var timeOfDay = Value.Ticks % TimeSpan.TicksPerDay;
        var hour = (int)(timeOfDay / TimeSpan.TicksPerHour);
        var minute = (int)(timeOfDay / TimeSpan.TicksPerMinute % 60);
        var second = (int)(timeOfDay / TimeSpan.TicksPerSecond % 60);
        var millisecond = (int)(timeOfDay / TimeSpan.TicksPerMillisecond % 1000);
        for (var i = 0; i < Length; i++)
        {
            to[i] = T.CreateTruncating(Pattern[i]);
        }

        ReadOnlySpan<int> values = [year, month, day, hour, minute, second, millisecond];
        for (var field = 0; field < values.Length; field++)
        {
            Digits(to.Slice(FieldStarts[field], FieldWidths[field]), values[field]);
        }
    }

    private static void Digits<T>(Span<T> to, int value)
        where T : unmanaged, IBinaryInteger<T>
    {
        for (var i = to.Length - 1; i >= 0; i--)
        {
            to[i] = T.CreateTruncating('0' + (value % 10));
            value /= 10;
        }
    }
}
