using System.Globalization;
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

    public IExportBody Encode(Func<Func<Lead, ValueTask>, Task> produce, CancellationToken cancellationToken)
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

    private static ValueTask WriteRowAsync(CsvWriter csv, Lead lead, CancellationToken cancellationToken)
    {
        csv.WriteField(lead.Id, "D");
        WriteText(csv, lead.FirstName);
        WriteText(csv, lead.LastName);
        WriteText(csv, lead.Email);
        WriteText(csv, lead.Phone);
        WriteText(csv, lead.Street);
        WriteText(csv, lead.City);
        WriteText(csv, lead.Region);
        WriteText(csv, lead.PostalCode);
        WriteText(csv, lead.Source);
        WriteText(csv, lead.Medium);
        WriteText(csv, lead.Campaign);
        csv.WriteField(lead.StatusStageId, "D");
        WriteText(csv, lead.StatusStageName);
        WriteText(csv, lead.Notes);
        csv.WriteField(new UtcTimestamp(lead.CreatedAt), default);
        csv.WriteField(new UtcTimestamp(lead.UpdatedAt), default);
        return csv.EndRecordAsync(cancellationToken);
    }

    /// <summary>
    /// A text column. A signed plain number (an E.164 phone, <c>-3.5</c>) goes to CsvHelper as the number it is, which
    /// its injection escape leaves alone; any other text gets <c>'</c> before each formula character that could start
    /// a cell (CsvHelper's escape for the first one), and quotes when it holds a separator.
    /// </summary>
    private static void WriteText(CsvWriter csv, string? value)
    {
        if (value is null)
        {
            csv.WriteField((string?)null);
        }
        else if (CsvFormulaGuard.TrySignedNumber(value, out var number, out var format))
        {
            csv.WriteField(number, format);
        }
        else
        {
            var text = CsvFormulaGuard.EscapeInnerCells(value);
            csv.WriteField(text, CsvFormulaGuard.HoldsOtherSeparator(text) ? CsvQuoting.Always : CsvQuoting.WhenNeeded);
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
