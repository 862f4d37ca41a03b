using System.Globalization;
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

    public static string Timestamp(DateTime utc) => utc.ToString(TimestampFormat, CultureInfo.InvariantCulture);

    private sealed class UtcTimestampConverter : JsonConverter<DateTime>
    {
        public override DateTime Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.GetDateTimeOffset().UtcDateTime;

        public override void Write(Utf8JsonWriter writer, DateTime value, JsonSerializerOptions options)
        {
            Span<char> buffer = stackalloc char[24];
            value.ToUniversalTime().TryFormat(buffer, out var written, TimestampFormat, CultureInfo.InvariantCulture);
            writer.WriteStringValue(buffer[..written]);
        }
    }
}
