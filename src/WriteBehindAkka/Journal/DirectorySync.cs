using System.Runtime.InteropServices;

namespace WriteBehindAkka.Journal;

/// <summary>fsyncs a folder, so that a new file's name survives a machine crash (Linux; elsewhere a no-op); writes a small file durably.</summary>
internal static partial class DirectorySync
{
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
            file.Flush(flushToDisk: true);
        }

        File.Move(path + ".tmp", path, overwrite: true);
        Sync(directory);
    }

    public static void Sync(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        int fd = Open(directory, 0);
        if (fd >= 0)
        {
            Fsync(fd);
            Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync")]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
