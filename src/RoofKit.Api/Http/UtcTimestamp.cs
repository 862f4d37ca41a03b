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

    public DateTime Value { get; } = utc;

    public bool TryFormat(Span<byte> destination, out int bytesWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        bytesWritten = 0;
        if (destination.Length < Length)
        {
            return false;
        }

        Write(destination);
        bytesWritten = Length;
        return true;
    }

    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        charsWritten = 0;
        if (destination.Length < Length)
        {
            return false;
        }

        Write(destination);
        charsWritten = Length;
        return true;
    }

    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    public override string ToString() => string.Create(Length, this, static (span, timestamp) => timestamp.Write<char>(span));

    private void Write<T>(Span<T> to)
        where T : unmanaged, IBinaryInteger<T>
    {
        var (year, month, day) = Value;
        var timeOfDay = Value.Ticks % TimeSpan.TicksPerDay;
        var hour = (int)(timeOfDay / TimeSpan.TicksPerHour);
        var minute = (int)(timeOfDay / TimeSpan.TicksPerMinute % 60);
        var second = (int)(timeOfDay / TimeSpan.TicksPerSecond % 60);
        var millisecond = (int)(timeOfDay / TimeSpan.TicksPerMillisecond % 1000);
        Digits(to[..4], year);
        to[4] = T.CreateTruncating('-');
        Digits(to.Slice(5, 2), month);
        to[7] = T.CreateTruncating('-');
        Digits(to.Slice(8, 2), day);
        to[10] = T.CreateTruncating('T');
        Digits(to.Slice(11, 2), hour);
        to[13] = T.CreateTruncating(':');
        Digits(to.Slice(14, 2), minute);
        to[16] = T.CreateTruncating(':');
        Digits(to.Slice(17, 2), second);
        to[19] = T.CreateTruncating('.');
        Digits(to.Slice(20, 3), millisecond);
        to[23] = T.CreateTruncating('Z');
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
