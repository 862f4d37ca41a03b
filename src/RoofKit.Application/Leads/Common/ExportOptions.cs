namespace RoofKit.Application.Leads.Common;

public sealed class ExportOptions
{
    public const string SectionName = "Exports";

    /// <summary>Exports of one workspace served at once, across every instance (CONTRACT.md §4). Default 4.</summary>
    public int MaxConcurrentPerWorkspace { get; set; } = 4;

    /// <summary>
    /// How long a slot stays taken if its instance dies before releasing it. Longer than any export takes to reach a
    /// client that reads at Kestrel's minimum data rate would be hours; 15 minutes bounds how long a crash can cost a
    /// workspace a slot.
    /// </summary>
    public int SlotLeaseSeconds { get; set; } = 900;

    /// <summary>
    /// CSV bytes an export keeps in memory before the rest goes to a temporary file. Default 256 KiB: a client that
    /// keeps up is sent the rows from memory; a full segment of a slow one (about 2.5 MB) waits in the page cache.
    /// </summary>
    public int BufferInMemoryBytes { get; set; } = 256 * 1024;

    /// <summary>
    /// Where segments past <see cref="BufferInMemoryBytes"/> spill; each file is deleted when its response ends. The
    /// default is the user's own (<c>$TMPDIR/roofkit-exports-&lt;user&gt;</c>): a directory of that name left by
    /// another user of the machine (say an earlier run as root) would refuse this one's files mid-export.
    /// </summary>
    public string TemporaryDirectory { get; set; } = DefaultTemporaryDirectory;

    public static string DefaultTemporaryDirectory => Path.Combine(Path.GetTempPath(), $"roofkit-exports-{Environment.UserName}");
}
