using System.Text;
using RoofKit.Api.Formatters;

namespace RoofKit.Api.Tests.Formatters;

/// <summary>The guard reads the UTF-8 a value is exported in; the cases are written as text and given as its bytes.</summary>
public sealed class CsvFormulaGuardTests
{
    [TestCase("+15125550142")]
    [TestCase("-3.5")]
    [TestCase("+0.50")]
    [TestCase("-007")]
    [TestCase("78701")]
    [TestCase("0")]
    public void ShouldCallOptionalSignDigitsAndOneDecimalPartAPlainNumber(string value) =>
        CsvFormulaGuard.IsPlainNumber(Utf8(value)).Should().BeTrue();

    [TestCase("")]
    [TestCase("+")]
    [TestCase("-")]
    [TestCase("+1+1")]
    [TestCase("-2-3")]
    [TestCase("=1")]
    [TestCase("+A1")]
    [TestCase("1e5")]
    [TestCase("-3.5e2")]
    [TestCase("-.5")]
    [TestCase("+1.")]
    [TestCase("+1.2.3")]
    [TestCase("+1 512 555 0142")]
    [TestCase(" -3")]
    [TestCase("--3")]
    [TestCase("+١٢٣")]
    [TestCase("+１２")]
    public void ShouldNotCallAnythingElseAPlainNumber(string value) =>
        CsvFormulaGuard.IsPlainNumber(Utf8(value)).Should().BeFalse();

    [TestCase("+15125550142")]
    [TestCase("-3.5")]
    [TestCase("+0.50")]
    [TestCase("-007")]
    [TestCase("-0")]
    [TestCase("+79228162514264337593543950335")]
    [TestCase("+9999999999999999999", Description = "19 digits: the largest read as one integer")]
    [TestCase("+12345678901234567890", Description = "20 digits: read by decimal.TryParse")]
    [TestCase("-0.000000000000000001")]
    [TestCase("+1.5000")]
    [TestCase("+0000000000000000042")]
    public void ShouldWriteASignedPlainNumberBackAsItIs(string value)
    {
        CsvFormulaGuard.TrySignedNumber(Utf8(value), out var number, out var format).Should().BeTrue();
        number.ToString(format, System.Globalization.CultureInfo.InvariantCulture).Should().Be(value);
    }

    [Test]
    public void ShouldWriteBackALongSignedNumberThatADecimalHoldsExactly()
    {
        // 65 characters, 63 of them leading zeros: more digits than a decimal keeps, so what the format writes back is
        // compared with the value, and that comparison must take the whole length.
        var value = "+" + new string('0', 63) + "1";

        CsvFormulaGuard.TrySignedNumber(Utf8(value), out var number, out var format).Should().BeTrue();
        number.ToString(format, System.Globalization.CultureInfo.InvariantCulture).Should().Be(value);
    }

    [Test]
    public void ShouldAllocateNothingForASignedNumberOnceItsShapeHasBeenSeen()
    {
        // Every exported row has a phone; its format is made once per shape, not per value.
        CsvFormulaGuard.TrySignedNumber("+15125550142"u8, out _, out var first).Should().BeTrue();
        var before = GC.GetAllocatedBytesForCurrentThread();
        var signed = CsvFormulaGuard.TrySignedNumber("+14155550199"u8, out var number, out var second);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        signed.Should().BeTrue();
        allocated.Should().Be(0);
        second.Should().BeSameAs(first);
        number.ToString(second, System.Globalization.CultureInfo.InvariantCulture).Should().Be("+14155550199");
    }

    [TestCase("78701", Description = "no sign: nothing to escape, written as text")]
    [TestCase("+1+1")]
    [TestCase("+792281625142643375935439503350", Description = "more than a decimal holds: escaped as text")]
    [TestCase("-0.0000000000000000000000000000001")]
    public void ShouldNotTreatAsASignedNumber(string value) =>
        CsvFormulaGuard.TrySignedNumber(Utf8(value), out _, out _).Should().BeFalse();

    /// <summary>
    /// The vectorised search finds what a look at every character finds: the first implementation, kept here as the
    /// reference, over 20,000 random values of the characters that matter (formula starts, cell ends, quotes, spaces).
    /// </summary>
    [Test]
    public void ShouldEscapeWhatALookAtEveryCharacterWouldEscape()
    {
        const string alphabet = "=+-@,;\t\r\n\" a1é";
        var random = new Random(20261201);
        for (var n = 0; n < 20_000; n++)
        {
            var value = new string([.. Enumerable.Range(0, random.Next(0, 24)).Select(_ => alphabet[random.Next(alphabet.Length)])]);

            EscapeInnerCells(value).Should().Be(ReferenceEscapeInnerCells(value), "for {0}", value);
        }
    }

    private static byte[] Utf8(string value) => Encoding.UTF8.GetBytes(value);

    private static string EscapeInnerCells(string value) => Encoding.UTF8.GetString(CsvFormulaGuard.EscapeInnerCells(Utf8(value)));

    private static string ReferenceEscapeInnerCells(string value)
    {
        var escaped = new System.Text.StringBuilder();
        for (var i = 0; i < value.Length; i++)
        {
            if (i > 0 && value[i] is '=' or '+' or '-' or '@')
            {
                var j = i - 1;
                while (j >= 0 && value[j] is '"' or ' ')
                {
                    j--;
                }

                if (j < 0 || ",;\t\r\n".Contains(value[j], StringComparison.Ordinal))
                {
                    escaped.Append('\'');
                }
            }

            escaped.Append(value[i]);
        }

        return escaped.ToString();
    }

    [TestCase("x;=1+1;y", "x;'=1+1;y")]
    [TestCase("a\t=3+3\tb", "a\t'=3+3\tb")]
    [TestCase("q,=6+6", "q,'=6+6")]
    [TestCase("line\n=7+7", "line\n'=7+7")]
    [TestCase("line\r\n@SUM(1)", "line\r\n'@SUM(1)")]
    [TestCase("x; =9+9", "x; '=9+9")]
    [TestCase("x;\"=1\"", "x;\"'=1\"")]
    [TestCase("\";=1", "\";'=1")]
    [TestCase(" =1", " '=1")]
    [TestCase("a,+1,-2,@b", "a,'+1,'-2,'@b")]
    [TestCase("=1+1", "=1+1", Description = "the first character is CsvHelper's")]
    [TestCase("call 1-800 = later; a@b", "call 1-800 = later; a@b")]
    [TestCase("=HYPERLINK(\"http://evil.example\",\"click\")", "=HYPERLINK(\"http://evil.example\",\"click\")")]
    public void ShouldEscapeEveryFormulaCharacterThatCouldStartACell(string value, string expected) =>
        EscapeInnerCells(value).Should().Be(expected);
}
