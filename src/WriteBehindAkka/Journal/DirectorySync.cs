using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace WriteBehindAkka.Journal;

/// <summary>
/// fsyncs a file or a folder (so that a new file's name survives a machine crash: Linux; elsewhere the folder is a
/// no-op) and writes a small file durably. Every error of a file's fsync fails the call.
/// </summary>
internal static partial class DirectorySync
{
    /// <summary>errno EINVAL: the file system cannot fsync this kind of file (a folder on some file systems).</summary>
    private const int InvalidArgument = 22;

    /// <summary>errno EACCES: a folder this process may write to but not read, so it cannot be opened to fsync it.</summary>
    private const int AccessDenied = 13;

    /// <summary>
    /// Replaces <paramref name="name"/> in <paramref name="directory"/> with <paramref name="content"/> durably: written
    /// to a temporary file and fsynced, renamed over the old one, and the folder fsynced, so that a crash leaves the
    /// old content or the new, never a part.
    /// </summary>
    public static void WriteFile(string directory, string name, ReadOnlySpan<byte> content)
    {
        string path = Path.Combine(directory, name);
        using (var file = new FileStream(path + ".tmp", FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(content);
            SyncFile(file);
        }

        File.Move(path + ".tmp", path, overwrite: true);
        Sync(directory);
    }

    /// <summary>
    /// Makes what was written to <paramref name="file"/> (through it or a mapping of it) durable. On Linux this calls
    /// fsync itself: <see cref="FileStream.Flush(bool)"/> takes EROFS, EINVAL and ENOTSUP for "nothing to flush"
    /// and returns as if it had succeeded, but an ext4 that aborted its journal after a disk error answers fsync with
    /// EROFS (kernels before 6.6), and its dirty pages never reach the disk.
    /// </summary>
    /// <exception cref="IOException">The fsync failed, whatever the error.</exception>
    public static void SyncFile(FileStream file)
    {
        if (!OperatingSystem.IsLinux())
        {
            file.Flush(flushToDisk: true);
            return;
        }

        file.Flush(flushToDisk: false); // what FileStream buffered, if anything, goes to the file first
        if (FsyncFile(file.SafeFileHandle) != 0)
        {
            throw Failed($"fsync of '{file.Name}'", Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>fsyncs a folder, so that the files created, renamed or deleted in it stay so after a machine crash (Linux; elsewhere a no-op).</summary>
    /// <exception cref="IOException">The fsync failed (a file system that cannot fsync a folder at all is taken as it is).</exception>
    public static void Sync(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        int fd = Open(directory, 0);
        if (fd < 0)
        {
            int error = Marshal.GetLastPInvokeError();
            if (error == AccessDenied)
            {
                return;
            }

            throw Failed($"opening the folder '{directory}' to fsync it", error);
        }

        try
        {
            if (Fsync(fd) != 0 && Marshal.GetLastPInvokeError() is var error and not InvalidArgument)
            {
                throw Failed($"fsync of the folder '{directory}'", error);
            }
        }
        finally
        {
            Close(fd);
        }
    }

    private static IOException Failed(string action, int errno) =>
        new($"{action} failed: {Marshal.GetPInvokeErrorMessage(errno)}, errno {errno}");

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FsyncFile(SafeFileHandle fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
