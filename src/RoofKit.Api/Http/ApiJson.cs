using System.Text.Json;
using System.Text.Json.Serialization;

namespace RoofKit.Api.Http;

/// <summary>JSON as partners see it: snake_case names, nulls written, times as RFC 3339 UTC with milliseconds.</summary>
public static class ApiJson
{
    public const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    public static void Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DictionaryKeyPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        options.Converters.Add(new UtcTimestampConverter());
    }

    public static string Timestamp(DateTime utc) => new UtcTimestamp(utc).ToString();

    private sealed class UtcTimestampConverter : JsonConverter<DateTime>
    {
        public override DateTime Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.GetDateTimeOffset().UtcDateTime;

        public override void Write(Utf8JsonWriter writer, DateTime value, JsonSerializerOptions options)
        {
            Span<byte> buffer = stackalloc byte[UtcTimestamp.Length];
            new UtcTimestamp(value.ToUniversalTime()).TryFormat(buffer, out var written, default, null);
            writer.WriteStringValue(buffer[..written]);
        }
    }
}
