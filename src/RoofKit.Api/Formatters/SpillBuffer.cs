namespace RoofKit.Api.Formatters;

/// <summary>
/// A write-then-read buffer for one export segment: bytes stay in memory up to a threshold, the rest goes to a
/// temporary file that is deleted when the buffer is disposed (or, the operating system's part, when the process
/// dies: <see cref="FileOptions.DeleteOnClose"/>). Written once by the encoder, then copied once to the response
/// without intermediate flushes, so compression sees one continuous stream.
/// </summary>
public sealed class SpillBuffer(int memoryThreshold, string directory) : Stream
{
    private readonly MemoryStream memory = new();
    private FileStream? file;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => memory.Length + (file?.Length ?? 0);

    /// <summary>Whether the buffer has gone past its threshold into a temporary file.</summary>
    public bool Spilled => file is not null;

    public override long Position
    {
        get => Length;
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        var room = (int)Math.Max(0, memoryThreshold - memory.Length);
        if (file is null && buffer.Length <= room)
        {
            memory.Write(buffer);
            return;
        }

        memory.Write(buffer[..Math.Min(room, buffer.Length)]);
        (file ??= CreateFile()).Write(buffer[Math.Min(room, buffer.Length)..]);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var room = (int)Math.Max(0, memoryThreshold - memory.Length);
        if (file is null && buffer.Length <= room)
        {
            memory.Write(buffer.Span);
            return;
        }

        memory.Write(buffer.Span[..Math.Min(room, buffer.Length)]);
        await (file ??= CreateFile()).WriteAsync(buffer[Math.Min(room, buffer.Length)..], cancellationToken);
    }

    /// <summary>Sends everything written, in order, to <paramref name="destination"/>; call once, after the writing.</summary>
    public async Task CopyToDestinationAsync(Stream destination, CancellationToken cancellationToken)
    {
        memory.Position = 0;
        await memory.CopyToAsync(destination, cancellationToken);
        if (file is not null)
        {
            await file.FlushAsync(cancellationToken);
            file.Position = 0;
            await file.CopyToAsync(destination, 64 * 1024, cancellationToken);
        }
    }

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            memory.Dispose();
            file?.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await memory.DisposeAsync();
        if (file is not null)
        {
            await file.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    private FileStream CreateFile()
    {
        Directory.CreateDirectory(directory);
        return new FileStream(
            Path.Combine(directory, $"export-{Guid.NewGuid():N}.csv.tmp"),
            FileMode.CreateNew,
            FileAccess.ReadWrite,
            FileShare.None,
            64 * 1024,
            FileOptions.Asynchronous | FileOptions.DeleteOnClose);
    }
}
