using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace RoofKit.Api.Formatters;

/// <summary>
/// The buffer between an export's database read and its client (ADR-007): one writer appends at the database's pace,
/// one reader sends what has been written so far at the client's pace, and neither waits for the other. The first
/// <c>memoryThreshold</c> bytes stay in memory, the rest go to a temporary file that is deleted when the buffer is
/// disposed (or by the operating system if the process dies: <see cref="FileOptions.DeleteOnClose"/>).
/// </summary>
public sealed class SpillBuffer(int memoryThreshold, string directory) : Stream
{
    private const int ChunkSize = 64 * 1024;
    private readonly object gate = new();
    private readonly List<byte[]> chunks = [];
    private long memoryLength;
    private SafeFileHandle? file;
    private long fileLength;
    private bool completed;
    private Exception? failure;
    private TaskCompletionSource written = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length
    {
        get
        {
            lock (gate)
            {
                return memoryLength + fileLength;
            }
        }
    }

    public override long Position
    {
        get => Length;
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        var toMemory = AppendToMemory(buffer);
        if (toMemory < buffer.Length)
        {
            var rest = buffer[toMemory..];
            RandomAccess.Write(File(), rest, fileLength);
            Appended(fileBytes: rest.Length);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var toMemory = AppendToMemory(buffer.Span);
        if (toMemory < buffer.Length)
        {
            var rest = buffer[toMemory..];
            await RandomAccess.WriteAsync(File(), rest, fileLength, cancellationToken);
            Appended(fileBytes: rest.Length);
        }
    }

    /// <summary>The writer is done: the reader sends what is left and ends.</summary>
    public void Complete() => Finish(null);

    /// <summary>The writer failed: the reader stops with this error once it has sent what was written.</summary>
    public void Fail(Exception error) => Finish(error);

    /// <summary>Sends everything written, in order, as it is written, until the writer completes (or fails).</summary>
    public async Task SendToAsync(Stream destination, CancellationToken cancellationToken)
    {
        long sent = 0;
        byte[]? fileBuffer = null;
        while (true)
        {
            long memory, available;
            bool done;
            Exception? error;
            Task next;
            List<ArraySegment<byte>> fromMemory = [];
            lock (gate)
            {
                memory = memoryLength;
                available = memoryLength + fileLength;
                done = completed;
                error = failure;
                next = written.Task;
                for (var at = sent; at < memory; at += ChunkSize - (at % ChunkSize))
                {
                    var length = (int)Math.Min(ChunkSize - (at % ChunkSize), memory - at);
                    fromMemory.Add(new ArraySegment<byte>(chunks[(int)(at / ChunkSize)], (int)(at % ChunkSize), length));
                }
            }

            foreach (var segment in fromMemory)
            {
                await destination.WriteAsync(segment, cancellationToken);
                sent += segment.Count;
            }

            while (sent < available)
            {
                fileBuffer ??= new byte[ChunkSize];
                var read = await RandomAccess.ReadAsync(
                    file!, fileBuffer.AsMemory(0, (int)Math.Min(ChunkSize, available - sent)), sent - memory, cancellationToken);
                await destination.WriteAsync(fileBuffer.AsMemory(0, read), cancellationToken);
                sent += read;
            }

            if (error is not null)
            {
                throw new IOException("The export failed while its rows were read.", error);
            }

            if (done)
            {
                return;
            }

            await next.WaitAsync(cancellationToken);
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
            lock (gate)
            {
                file?.Dispose();
                // Disposed only once its writer and its reader are done with it (the export's body sees to that).
                foreach (var chunk in chunks)
                {
                    ArrayPool<byte>.Shared.Return(chunk);
                }

                chunks.Clear();
            }
        }

        base.Dispose(disposing);
    }

    /// <summary>Copies what fits under the threshold into memory chunks; returns how many bytes went there.</summary>
    private int AppendToMemory(ReadOnlySpan<byte> buffer)
    {
        if (file is not null)
        {
            return 0;
        }

        var take = (int)Math.Min(buffer.Length, Math.Max(0, memoryThreshold - memoryLength));
        var copied = 0;
        lock (gate)
        {
            while (copied < take)
            {
                var offset = (int)(memoryLength % ChunkSize);
                if (offset == 0)
                {
                    chunks.Add(ArrayPool<byte>.Shared.Rent(ChunkSize));
                }

                var length = Math.Min(ChunkSize - offset, take - copied);
                buffer.Slice(copied, length).CopyTo(chunks[^1].AsSpan(offset));
                copied += length;
                memoryLength += length;
            }
        }

        if (copied > 0)
        {
            Appended(fileBytes: 0);
        }

        return copied;
    }

    private SafeFileHandle File()
    {
        if (file is null)
        {
            // Only this user may list or open what an export spills (partners' rows).
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            var handle = System.IO.File.OpenHandle(
                Path.Combine(directory, $"export-{Guid.NewGuid():N}.csv.tmp"),
                FileMode.CreateNew,
                FileAccess.ReadWrite,
                FileShare.None,
                FileOptions.Asynchronous | FileOptions.DeleteOnClose);
            Volatile.Write(ref file, handle);
        }

        return file;
    }

    /// <summary>Publishes appended bytes to the reader and wakes it.</summary>
    private void Appended(int fileBytes)
    {
        TaskCompletionSource wake;
        lock (gate)
        {
            fileLength += fileBytes;
            wake = written;
            written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        wake.TrySetResult();
    }

    private void Finish(Exception? error)
    {
        TaskCompletionSource wake;
        lock (gate)
        {
            completed = true;
            failure = error;
            wake = written;
        }

        wake.TrySetResult();
    }
}
