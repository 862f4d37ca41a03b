using RoofKit.Api.Formatters;
using RoofKit.Application.Leads.Common;

namespace RoofKit.Api.Tests.Formatters;

/// <summary>
/// Where an export spills. A run of `make cluster-test` as a user other than the one that had run the API before found
/// `$TMPDIR/roofkit-exports` owned by that other user: every export that spilled failed mid-body. Each user now
/// spills into a directory of their own that only they can enter.
/// </summary>
public sealed class SpillBufferTests
{
    [Test]
    public void ShouldDefaultToADirectoryOfTheUsersOwn()
    {
        var directory = new ExportOptions().TemporaryDirectory;

        Path.GetFileName(directory).Should().Be($"roofkit-exports-{Environment.UserName}");
        Path.GetDirectoryName(directory).Should().Be(Path.GetTempPath().TrimEnd(Path.DirectorySeparatorChar));
    }

    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task ShouldSpillIntoADirectoryOnlyItsUserCanEnterAndLeaveNoFileBehind()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"roofkit-spill-test-{Guid.NewGuid():N}");
        try
        {
            await using (var buffer = new SpillBuffer(memoryThreshold: 16, directory))
            {
                await buffer.WriteAsync(new byte[64]);
                buffer.Complete();
                using var sent = new MemoryStream();
                await buffer.SendToAsync(sent, CancellationToken.None);
                sent.Length.Should().Be(64);

                Directory.GetFiles(directory).Should().ContainSingle("the bytes past 16 went to a file");
                File.GetUnixFileMode(directory).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            Directory.GetFiles(directory).Should().BeEmpty("the file goes with its buffer");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
