using System.Globalization;
using System.Text;
using RoofKit.Api.Http;

namespace RoofKit.Api.Tests.Http;

/// <summary>
/// <see cref="UtcTimestamp"/> writes what <see cref="ApiJson.TimestampFormat"/> would, character for character, into
/// UTF-8 and UTF-16, for any time a lead can hold: the contract's format is the reference, not the fast path.
/// </summary>
public sealed class UtcTimestampTests
{
    private static IEnumerable<DateTime> Times()
    {
        yield return DateTime.MinValue;
        yield return DateTime.MaxValue;
        yield return new DateTime(2026, 3, 1, 14, 5, 9, 42, DateTimeKind.Utc);
        yield return new DateTime(2024, 2, 29, 23, 59, 59, 999, DateTimeKind.Utc).AddTicks(9_999);
        yield return new DateTime(1999, 12, 31, 0, 0, 0, DateTimeKind.Utc);
        yield return new DateTime(987, 1, 2, 3, 4, 5, 6, DateTimeKind.Utc);
        var random = new Random(20261201);
        for (var i = 0; i < 10_000; i++)
        {
            yield return new DateTime(random.NextInt64(DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks), DateTimeKind.Utc);
        }
    }

    [Test]
    public void ShouldWriteWhatTheContractsFormatWritesInBothEncodings()
    {
        Span<byte> utf8 = stackalloc byte[UtcTimestamp.Length];
        Span<char> utf16 = stackalloc char[UtcTimestamp.Length];
        foreach (var time in Times())
        {
            var expected = time.ToString(ApiJson.TimestampFormat, CultureInfo.InvariantCulture);
            var timestamp = new UtcTimestamp(time);

            timestamp.TryFormat(utf8, out var bytes, default, null).Should().BeTrue();
            Encoding.UTF8.GetString(utf8[..bytes]).Should().Be(expected, "UTF-8 of {0} ticks", time.Ticks);
            timestamp.TryFormat(utf16, out var chars, default, null).Should().BeTrue();
            utf16[..chars].ToString().Should().Be(expected, "UTF-16 of {0} ticks", time.Ticks);
            timestamp.ToString().Should().Be(expected);
        }
    }

    [Test]
    public void ShouldRefuseADestinationTooShortAndWriteNothing()
    {
        var timestamp = new UtcTimestamp(new DateTime(2026, 3, 1, 14, 5, 9, 42, DateTimeKind.Utc));
        var bytes = new byte[UtcTimestamp.Length - 1];

        timestamp.TryFormat(bytes, out var written, default, null).Should().BeFalse();
        written.Should().Be(0);
        bytes.Should().OnlyContain(b => b == 0);
        timestamp.TryFormat(new char[UtcTimestamp.Length - 1], out var charsWritten, default, null).Should().BeFalse();
        charsWritten.Should().Be(0);
    }
}
