using System.Buffers;
using System.Text;
using CsvHelper;
using Microsoft.Extensions.Options;
using RoofKit.Api.Http;
using RoofKit.Application.Leads.Common;
using RoofKit.Application.Leads.Queries.ExportLeads;

namespace RoofKit.Api.Formatters;

/// <summary>
/// Encodes export rows as RFC 4180 CSV that is formula-safe whatever separator a spreadsheet imports it with
/// (CONTRACT.md §7; <see cref="CsvFormulaGuard"/>), in the background, into a <see cref="SpillBuffer"/> that keeps
/// <c>Exports:BufferInMemoryBytes</c> in memory and spills the rest to a temporary file (ADR-007). The response sends
/// from the buffer while rows are still being encoded, so the database is read at its own pace, the client is
/// served at its own, and memory stays bounded however slowly the client reads.
/// </summary>
public sealed class LeadCsvEncoder(IOptions<ExportOptions> options) : ILeadCsvEncoder
{
    /// <summary>The contract's columns, in order (CONTRACT.md §7).</summary>
    public static readonly string[] Columns =
    [
        "id", "first_name", "last_name", "email", "phone", "street", "city", "region", "postal_code",
        "source", "medium", "campaign", "status_stage_id", "status_stage_name", "notes", "created_at", "updated_at",
    ];

    private static readonly CsvWriterOptions Options = CsvWriterOptions.Default with
    {
        Injection = CsvInjection.Escape,
        // OWASP's list as CsvHelper has it (= @ + - tab CR), plus LF, which a spreadsheet also treats as the start of a formula cell.
        InjectionCharacters = CsvFormulaGuard.FormulaStarts,
        WriteByteOrderMark = false,
        NewLine = "\r\n",
    };

    public IExportBody Encode(Func<Func<ILeadRecord, ValueTask>, Task> produce, CancellationToken cancellationToken)
    {
        var buffer = new SpillBuffer(options.Value.BufferInMemoryBytes, options.Value.TemporaryDirectory);
        var completion = Task.Run(async () =>
        {
            try
            {
                await using (var csv = CsvWriter.Create(buffer, Options, leaveOpen: true))
                {
                    csv.WriteHeader(Columns);
                    await produce(lead => WriteRowAsync(csv, lead, cancellationToken));
                    await csv.FlushAsync(cancellationToken);
                }

                buffer.Complete();
            }
            catch (Exception ex)
            {
                buffer.Fail(ex);
                throw;
            }
        }, CancellationToken.None);
        return new Body(buffer, completion);
    }

    private static ValueTask WriteRowAsync(CsvWriter csv, ILeadRecord lead, CancellationToken cancellationToken)
    {
        csv.WriteField(lead.Id, "D");
        for (var field = LeadText.FirstName; field <= LeadText.Campaign; field++)
        {
            WriteText(csv, lead.Text(field));
        }

        csv.WriteField(lead.StatusStageId, "D");
        WriteText(csv, lead.Text(LeadText.StatusStageName));
        WriteText(csv, lead.Text(LeadText.Notes));
        csv.WriteField(new UtcTimestamp(lead.CreatedAt), default);
        csv.WriteField(new UtcTimestamp(lead.UpdatedAt), default);
        return csv.EndRecordAsync(cancellationToken);
    }

    /// <summary>
    /// A text column, from its UTF-8 bytes (ADR-010 decision 13). A signed plain number (an E.164 phone, <c>-3.5</c>)
    /// goes to CsvHelper as the number it is, which its injection escape leaves alone; any other text gets <c>'</c>
    /// before each formula character that could start a cell (CsvHelper's escape for the first one), and quotes when
    /// it holds a separator. CsvHelper quotes bytes only when they hold a comma, a quote or a line break, so a value
    /// with a semicolon or a tab (rare) goes as characters, with quotes asked for.
    /// </summary>
    private static void WriteText(CsvWriter csv, ReadOnlySpan<byte> value)
    {
        if (CsvFormulaGuard.TrySignedNumber(value, out var number, out var format))
        {
            csv.WriteField(number, format);
            return;
        }

        var text = CsvFormulaGuard.EscapeInnerCells(value);
        if (!CsvFormulaGuard.HoldsOtherSeparator(text))
        {
            csv.WriteField(text);
            return;
        }

        var characters = ArrayPool<char>.Shared.Rent(Encoding.UTF8.GetMaxCharCount(text.Length));
        try
        {
            var length = Encoding.UTF8.GetChars(text, characters);
            csv.WriteField(characters.AsSpan(0, length), CsvQuoting.Always);
        }
        finally
        {
            // A lead's text does not stay behind in the pool.
            ArrayPool<char>.Shared.Return(characters, clearArray: true);
        }
    }

    private sealed class Body(SpillBuffer buffer, Task completion) : IExportBody
    {
        public Task Completion { get; } = completion;

        public Task WriteToAsync(Stream destination, CancellationToken cancellationToken) => buffer.SendToAsync(destination, cancellationToken);

        public async ValueTask DisposeAsync()
        {
            // The rows stop with the request (its token); the file goes only once nothing writes to it any more.
            await Completion.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            await buffer.DisposeAsync();
        }
    }
}
