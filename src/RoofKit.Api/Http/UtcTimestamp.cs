using System.Globalization;

namespace RoofKit.Api.Http;

/// <summary>
/// A UTC time as partners see it in JSON, CSV and headers: RFC 3339 with milliseconds, <c>2026-03-01T14:05:09.042Z</c>
/// (<see cref="ApiJson.TimestampFormat"/>), written into UTF-8 or UTF-16 by .NET's sortable format (<c>"s"</c>, which
/// has a fast path of its own) and the milliseconds. Every exported row has two of them: a custom format string is
/// parsed again on each call, these are not (ADR-010).
/// </summary>
public readonly struct UtcTimestamp(DateTime utc) : IUtf8SpanFormattable, ISpanFormattable
{
    /// <summary>The length of every timestamp written: <c>yyyy-MM-ddTHH:mm:ss.fffZ</c>.</summary>
    public const int Length = 24;

    // Where "s" ends (yyyy-MM-ddTHH:mm:ss) and the milliseconds start.
    private const int Seconds = 19;

    private uint Milliseconds => (uint)(utc.Ticks / TimeSpan.TicksPerMillisecond % 1000);

    public bool TryFormat(Span<byte> destination, out int bytesWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        bytesWritten = 0;
        if (destination.Length < Length || !utc.TryFormat(destination, out _, "s", CultureInfo.InvariantCulture))
        {
            return false;
        }

        destination[Seconds] = (byte)'.';
        Milliseconds.TryFormat(destination[(Seconds + 1)..], out _, "D3", CultureInfo.InvariantCulture);
        destination[Length - 1] = (byte)'Z';
        bytesWritten = Length;
        return true;
    }

    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        charsWritten = 0;
        if (destination.Length < Length || !utc.TryFormat(destination, out _, "s", CultureInfo.InvariantCulture))
        {
            return false;
        }

        destination[Seconds] = '.';
        Milliseconds.TryFormat(destination[(Seconds + 1)..], out _, "D3", CultureInfo.InvariantCulture);
        destination[Length - 1] = 'Z';
        charsWritten = Length;
        return true;
    }

    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    public override string ToString() =>
        string.Create(Length, this, static (span, timestamp) => timestamp.TryFormat(span, out _, default, null));
}
