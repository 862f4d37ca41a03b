using System.Buffers;
using System.Globalization;

namespace RoofKit.Api.Formatters;

/// <summary>
/// The parts of CONTRACT.md §7's formula safety that CsvHelper's injection support does not cover: it escapes a
/// field that starts like a formula, but a spreadsheet that imports the file with another separator (<c>;</c> or
/// tab instead of <c>,</c>) or that ends a line at a line break inside quotes starts cells in the middle of a
/// field, where quotes do not help (LibreOffice honours a quote only at the start of one of its own cells). And a
/// signed number is no formula, so it must not get the escape. It reads a value as the UTF-8 it is exported in
/// (ADR-010 decision 13): every character it looks for is ASCII, and no byte of a longer character is one.
/// </summary>
public static class CsvFormulaGuard
{
    /// <summary>What a cell must not start with: a spreadsheet would read it as a formula (OWASP).</summary>
    public const string FormulaStarts = "=+-@\t\r\n";

    /// <summary>
    /// What can end a cell in some spreadsheet import: the separators a user picks (comma, semicolon, tab) and the
    /// line breaks.
    /// </summary>
    private static readonly SearchValues<byte> CellEndCharacters = SearchValues.Create(",;\t\r\n"u8);

    /// <summary>The formula characters that can start a cell inside a value (the value's own start is CsvHelper's).</summary>
    private static readonly SearchValues<byte> FormulaCharacters = SearchValues.Create("=+-@"u8);

    private const byte Escape = (byte)'\'';

    /// <summary>
    /// A plain number: an optional sign, ASCII digits, and at most one decimal point with digits after it (no
    /// exponent, no spaces, no other character). <c>+15125550142</c> and <c>-3.5</c> are; <c>+1+1</c>, <c>-2-3</c>,
    /// <c>=1</c>, <c>+A1</c>, <c>1e5</c> and <c>-.5</c> are not.
    /// </summary>
    public static bool IsPlainNumber(ReadOnlySpan<byte> value)
    {
        var digits = value.Length > 0 && value[0] is (byte)'+' or (byte)'-' ? value[1..] : value;
        var point = digits.IndexOf((byte)'.');
        var whole = point < 0 ? digits : digits[..point];
        var fraction = point < 0 ? "0"u8 : digits[(point + 1)..];
        return whole.Length > 0 && fraction.Length > 0 && IsAsciiDigits(whole) && IsAsciiDigits(fraction);
    }

    /// <summary>
    /// A signed plain number as a value and a format that writes it back character for character (leading and
    /// trailing zeros, the sign), so that CsvHelper writes it as the number it is, without the formula escape.
    /// False for anything else, and for a number a <see cref="decimal"/> cannot hold exactly. Every exported row has
    /// one (an E.164 phone), so the formats are made once per shape and nothing is allocated per value.
    /// </summary>
    public static bool TrySignedNumber(ReadOnlySpan<byte> value, out decimal number, out string format)
    {
        number = 0;
        format = "";
        if (value.Length < 2 || value[0] is not ((byte)'+' or (byte)'-') || !IsPlainNumber(value))
        {
            return false;
        }

        var digits = value[1..];
        var point = digits.IndexOf((byte)'.');
        var whole = point < 0 ? digits.Length : point;
        var fraction = point < 0 ? 0 : digits.Length - point - 1;
        if (whole + fraction <= MaxUInt64Digits)
        {
            // The common case (a phone): its digits as one integer and the fraction's length as the scale, exactly.
            ulong integer = 0;
            foreach (var c in digits)
            {
                if (c != (byte)'.')
                {
                    integer = (integer * 10) + (ulong)(c - (byte)'0');
                }
            }

            number = new decimal((int)(uint)integer, (int)(uint)(integer >> 32), 0, isNegative: false, scale: (byte)fraction);
        }
        else if (!decimal.TryParse(digits, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out number))
        {
            return false;
        }

        format = NumberFormat((char)value[0], whole, fraction);
        // Up to 28 digits a decimal holds the number exactly (its scale, the fraction's digits, goes to 28), so the
        // format writes back what was parsed; a longer one may have been rounded, and is checked.
        return whole + fraction <= MaxExactDigits || WritesBack(number, format, value);
    }

    // Room for exactly the value: a number that writes longer is not the value.
    private static bool WritesBack(decimal number, string format, ReadOnlySpan<byte> value)
    {
        Span<byte> written = value.Length <= 256 ? stackalloc byte[value.Length] : new byte[value.Length];
        return number.TryFormat(written, out var length, format, CultureInfo.InvariantCulture) && length == value.Length && written.SequenceEqual(value);
    }

    private const int MaxExactDigits = 28;

    // Every number of up to 19 digits fits in a ulong.
    private const int MaxUInt64Digits = 19;

    // One format per sign and shape a decimal can hold (whole digits 1-29, fraction digits 0-28), made on first use.
    private static readonly string?[] NumberFormats = new string?[2 * 30 * 29];

    private static string NumberFormat(char sign, int whole, int fraction)
    {
        if (whole > 29 || fraction > MaxExactDigits)
        {
            return MakeNumberFormat(sign, whole, fraction);
        }

        var index = (((sign == '-' ? 1 : 0) * 30) + whole) * 29 + fraction;
        return NumberFormats[index] ??= MakeNumberFormat(sign, whole, fraction);
    }

    // The sign is a literal of the format: the value parsed is never negative, so no sign of its own is written.
    private static string MakeNumberFormat(char sign, int whole, int fraction) =>
        string.Concat("\\", sign.ToString(), new string('0', whole), fraction > 0 ? "." + new string('0', fraction) : "");

    /// <summary>
    /// Puts <c>'</c> before each formula character that would start a cell of its own in some import: one after a
    /// comma, semicolon, tab or line break inside the value (quotes and spaces between them do not matter), or after
    /// leading quotes or spaces. The start of the value itself is CsvHelper's (its injection escape).
    /// </summary>
    public static ReadOnlySpan<byte> EscapeInnerCells(ReadOnlySpan<byte> value)
    {
        List<int>? at = null;
        // From one formula character to the next (a vectorised search): every exported email holds an @.
        for (var i = 1; i < value.Length; i++)
        {
            var next = value[i..].IndexOfAny(FormulaCharacters);
            if (next < 0)
            {
                break;
            }

            i += next;
            if (StartsACell(value, i))
            {
                (at ??= []).Add(i);
            }
        }

        if (at is null)
        {
            return value;
        }

        var escaped = new byte[value.Length + at.Count];
        var from = 0;
        var to = 0;
        foreach (var position in at)
        {
            value[from..position].CopyTo(escaped.AsSpan(to));
            to += position - from;
            escaped[to++] = Escape;
            from = position;
        }

        value[from..].CopyTo(escaped.AsSpan(to));
        return escaped;
    }

    /// <summary>
    /// A field that holds a separator other than the comma, which CsvHelper quotes by itself (with a quote, CR and
    /// LF): quoted too, so that an import that honours quotes keeps it one cell.
    /// </summary>
    public static bool HoldsOtherSeparator(ReadOnlySpan<byte> value) => value.IndexOfAny((byte)';', (byte)'\t') >= 0;

    private static bool StartsACell(ReadOnlySpan<byte> value, int index)
    {
        var j = index - 1;
        while (j >= 0 && value[j] is (byte)'"' or (byte)' ')
        {
            j--;
        }

        return j < 0 || CellEndCharacters.Contains(value[j]);
    }

    private static bool IsAsciiDigits(ReadOnlySpan<byte> value) => !value.ContainsAnyExceptInRange((byte)'0', (byte)'9');
}
