using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using RoofKit.Application.Common.Exceptions;
using RoofKit.Application.Leads.Common;

namespace RoofKit.Application.Tests.Leads.Common;

public sealed class LeadCursorProtectorTests
{
    private const string Key = "unit-test-signing-key-0123456789-abcdefghijklmnop";
    private const string Base64UrlAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    private static readonly Guid Workspace = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");

    private static readonly LeadFilter Filter = new(
        "Google", "cpc", "spring_2026",
        new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc),
        new DateTime(2026, 6, 30, 23, 59, 59, 999, DateTimeKind.Utc).AddTicks(1234),
        Guid.Parse("7c9e6679-7425-40de-944b-e07fc1f90ae7"),
        "Muñoz \"quoted\" 100%");

    // Microsecond precision, as PostgreSQL hands updated_at back.
    private static readonly LeadCursor Sample = new(
        Workspace,
        new KeysetPosition(new DateTime(2026, 3, 14, 15, 9, 26, 535, DateTimeKind.Utc).AddTicks(8970), Guid.Parse("9b2d7a1e-3c4f-4e5a-8b6c-7d8e9f0a1b2c")),
        new DateTime(2026, 3, 20, 8, 0, 0, 123, DateTimeKind.Utc),
        Filter);

    private static LeadCursorProtector Protector(string key = Key) => new(Options.Create(new CursorOptions { SigningKey = key }));

    [Test]
    public void ShouldRoundTripEveryFieldExactly()
    {
        var protector = Protector();

        var back = protector.Unprotect(protector.Protect(Sample), Workspace);

        back.Should().Be(Sample);
        back.After.UpdatedAt.Ticks.Should().Be(Sample.After.UpdatedAt.Ticks);
        back.After.UpdatedAt.Kind.Should().Be(DateTimeKind.Utc);
        back.Watermark.Kind.Should().Be(DateTimeKind.Utc);
        back.Filter.To.Should().Be(Filter.To);
    }

    [Test]
    public void ShouldRoundTripTheReplicaWalPosition()
    {
        var protector = Protector();
        var cursor = Sample with { ReadAfterWal = 0x1_6B42_1E0L };

        protector.Unprotect(protector.Protect(cursor), Workspace).ReadAfterWal.Should().Be(0x1_6B42_1E0L);
    }

    [Test]
    public void ShouldLeaveTheWalPositionOutWithoutAReplica()
    {
        var text = Protector().Protect(Sample);
        var bytes = Base64Url.DecodeFromChars(text);
        var json = Encoding.UTF8.GetString(bytes, 1, bytes.Length - 1 - 32);

        json.Should().NotContain("\"L\"");
        Protector().Unprotect(text, Workspace).ReadAfterWal.Should().Be(0);
    }

    [Test]
    public void ShouldRoundTripACursorWithoutFilters()
    {
        var protector = Protector();
        var cursor = Sample with { Filter = LeadFilter.None };

        protector.Unprotect(protector.Protect(cursor), Workspace).Should().Be(cursor);
    }

    [Test]
    public void ShouldBeUrlSafeText()
    {
        var text = Protector().Protect(Sample);

        text.Should().MatchRegex("^[A-Za-z0-9_-]+$");
    }

    [Test]
    public void ShouldRejectEveryCursorWithOneCharacterReplaced()
    {
        var protector = Protector();
        var text = protector.Protect(Sample);
        var accepted = new List<string>();

        for (var i = 0; i < text.Length; i++)
        {
            // Two replacements per position: the neighbouring letter (which differs in the low bits only, the
            // ones the last character may not use) and one far away in the alphabet.
            foreach (var shift in new[] { 1, 32 })
            {
                var replacement = Base64UrlAlphabet[(Base64UrlAlphabet.IndexOf(text[i], StringComparison.Ordinal) + shift) % 64];
                var tampered = string.Concat(text.AsSpan(0, i), replacement.ToString(), text.AsSpan(i + 1));
                if (!Throws(() => protector.Unprotect(tampered, Workspace)))
                {
                    accepted.Add($"position {i}: {text[i]} -> {replacement}");
                }
            }
        }

        accepted.Should().BeEmpty();
    }

    [Test]
    public void ShouldRejectEveryTruncation()
    {
        var protector = Protector();
        var text = protector.Protect(Sample);

        for (var length = 0; length < text.Length; length++)
        {
            var truncated = text[..length];
            FluentActions.Invoking(() => protector.Unprotect(truncated, Workspace))
                .Should().Throw<InvalidCursorException>($"a cursor cut to {length} characters is not the cursor");
        }
    }

    [TestCase("=")]
    [TestCase("==")]
    [TestCase("%")]
    [TestCase(" ")]
    [TestCase("\n")]
    [TestCase("A")]
    [TestCase("AAAA")]
    public void ShouldRejectACursorWithSomethingAppended(string suffix)
    {
        var protector = Protector();
        var text = protector.Protect(Sample) + suffix;

        FluentActions.Invoking(() => protector.Unprotect(text, Workspace)).Should().Throw<InvalidCursorException>();
    }

    [Test]
    public void ShouldRejectACursorWithWhitespaceInserted()
    {
        var protector = Protector();
        var text = protector.Protect(Sample);
        var spaced = string.Concat(text.AsSpan(0, 10), " ", text.AsSpan(10));

        FluentActions.Invoking(() => protector.Unprotect(spaced, Workspace)).Should().Throw<InvalidCursorException>();
    }

    [TestCase("")]
    [TestCase("x")]
    [TestCase("garbage")]
    [TestCase("!!!!")]
    [TestCase("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [TestCase("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl")]
    public void ShouldRejectGarbage(string text) =>
        FluentActions.Invoking(() => Protector().Unprotect(text, Workspace)).Should().Throw<InvalidCursorException>();

    [Test]
    public void ShouldRejectACursorOfAnotherWorkspace()
    {
        var protector = Protector();
        var text = protector.Protect(Sample);

        FluentActions.Invoking(() => protector.Unprotect(text, Guid.NewGuid())).Should().Throw<InvalidCursorException>();
    }

    [Test]
    public void ShouldRejectACursorSignedWithAnotherKey()
    {
        var text = Protector("another-signing-key-0123456789-abcdefghijklmnop").Protect(Sample);

        FluentActions.Invoking(() => Protector().Unprotect(text, Workspace)).Should().Throw<InvalidCursorException>();
    }

    [Test]
    public void ShouldRejectAnotherVersionEvenWhenItsSignatureIsValid()
    {
        var protector = Protector();
        var bytes = Base64Url.DecodeFromChars(protector.Protect(Sample));
        var payload = bytes.AsSpan(1, bytes.Length - 33).ToArray();

        var version2 = Sign(2, payload);

        FluentActions.Invoking(() => protector.Unprotect(version2, Workspace)).Should().Throw<InvalidCursorException>();
        protector.Unprotect(Sign(1, payload), Workspace).Should().Be(Sample, "the re-signing itself is right");
    }

    [TestCase("")]
    [TestCase("null")]
    [TestCase("[]")]
    [TestCase("{}")]
    [TestCase("{\"Ws\":\"0f8fad5b-d9cb-469f-a165-70867728950e\"}")]
    [TestCase("{\"Ws\":\"not-a-guid\",\"U\":1,\"I\":\"9b2d7a1e-3c4f-4e5a-8b6c-7d8e9f0a1b2c\",\"W\":1,\"F\":{}}")]
    [TestCase("{\"Ws\":\"0f8fad5b-d9cb-469f-a165-70867728950e\",\"U\":-1,\"I\":\"9b2d7a1e-3c4f-4e5a-8b6c-7d8e9f0a1b2c\",\"W\":1,\"F\":{}}")]
    [TestCase("{\"Ws\":\"0f8fad5b-d9cb-469f-a165-70867728950e\",\"U\":1,\"I\":\"9b2d7a1e-3c4f-4e5a-8b6c-7d8e9f0a1b2c\",\"W\":9223372036854775807,\"F\":{}}")]
    [TestCase("{\"Ws\":\"0f8fad5b-d9cb-469f-a165-70867728950e\",\"U\":1,\"I\":\"9b2d7a1e-3c4f-4e5a-8b6c-7d8e9f0a1b2c\",\"W\":1,\"F\":\"x\"}")]
    [TestCase("\u00ff\u00fe not json")]
    public void ShouldRejectASignedPayloadThatIsNotACursor(string json)
    {
        var text = Sign(1, Encoding.UTF8.GetBytes(json));

        FluentActions.Invoking(() => Protector().Unprotect(text, Workspace)).Should().Throw<InvalidCursorException>();
    }

    [Test]
    public void ShouldProduceACursorTheQueryParserAcceptsForTheLongestFilters()
    {
        // Every text filter at its maximum length, in characters that JSON escapes to six bytes: the cursor the
        // API hands out must still be one it takes back.
        var longest = new LeadFilter(
            new string('é', 255), new string('\u0378', 255), new string('"', 255),
            DateTime.MinValue, DateTime.MaxValue, Guid.NewGuid(), new string('中', 200));

        var text = Protector().Protect(Sample with { Filter = longest });

        text.Length.Should().BeGreaterThan(2048, "this is the case that a 2048-character limit refused")
            .And.BeLessThanOrEqualTo(LeadCursorProtector.MaxLength);
        Protector().Unprotect(text, Workspace).Filter.Should().Be(longest);
    }

    [TestCase("")]
    [TestCase("too-short-key")]
    [TestCase("0123456789012345678901234567890")]
    public void ShouldRefuseASigningKeyShorterThan32Characters(string key) =>
        FluentActions.Invoking(() => Protector(key)).Should().Throw<InvalidOperationException>();

    private static string Sign(byte version, byte[] payload)
    {
        var signed = new byte[1 + payload.Length];
        signed[0] = version;
        payload.CopyTo(signed, 1);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(Key), signed);
        return Base64Url.EncodeToString([.. signed, .. mac]);
    }

    private static bool Throws(Action action)
    {
        try
        {
            action();
            return false;
        }
        catch (InvalidCursorException)
        {
            return true;
        }
    }
}
