using System.Text.Json;
using System.Text.Json.Serialization;
using WriteBehindAkka.Benchmarks.Suite;

namespace WriteBehindAkka.Benchmarks.Reporting;

/// <summary>Writes every figure of a suite run (each repetition, the medians and ranges, the time series, the targets) as JSON.</summary>
internal static class JsonReportWriter
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(), new FiniteDoubleConverter() },
    };

    public static string Render(SuiteResult result) => JsonSerializer.Serialize(result, Options);

    public static async Task WriteAsync(SuiteResult result, string path, CancellationToken cancellationToken)
    {
        await using var stream = File.Create(path);
        await JsonSerializer.SerializeAsync(stream, result, Options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>JSON has no NaN or infinity: a figure that could not be computed is written as null.</summary>
    private sealed class FiniteDoubleConverter : JsonConverter<double>
    {
        public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Null ? double.NaN : reader.GetDouble();

        public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
        {
            if (double.IsFinite(value))
            {
                writer.WriteNumberValue(Math.Round(value, 6));
            }
            else
            {
                writer.WriteNullValue();
            }
        }
    }
}
