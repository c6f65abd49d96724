using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace WriteBehindAkka.Journal;

/// <summary>
/// One segment file, mapped into memory. The file is preallocated to its capacity when created (so that a full
/// disk shows up here, as an error, and never later as a fault on a page of the mapping) and records are copied
/// straight into the mapping: once the copy is done the record is in the operating system's page cache, exactly
/// where a write(2) would have put it, so a crash of the process cannot lose it, without a system call per record.
/// An fsync of the file makes it durable. Sealing truncates the file to what was used. Not thread-safe: the
/// journal guards it.
/// </summary>
internal sealed unsafe partial class JournalSegment : IDisposable
{
    private readonly FileStream _file;
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private bool _disposed;

    private JournalSegment(long number, string path, FileStream file, MemoryMappedFile map, MemoryMappedViewAccessor view, long capacity)
    {
        Number = number;
        Path = path;
        _file = file;
        _map = map;
        _view = view;
        Capacity = capacity;
        byte* pointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _base = pointer + _view.PointerOffset;
    }

    public long Number { get; }

    public string Path { get; }

    public long Capacity { get; }

    /// <summary>
    /// Set when an fsync of this segment failed. Linux may then have dropped the failed pages and report the next
    /// fsync as a success, so nothing in this segment is ever answered as durable again; the journal moves on to
    /// a new segment. Guarded by the journal's append lock.
    /// </summary>
    public Exception? Tainted { get; set; }

    /// <summary>Bytes used: the header and the records copied in.</summary>
    public long Used { get; private set; }

    /// <summary>Creates the segment with its header, durable with its folder entry; a failure leaves no file behind.</summary>
    public static JournalSegment Create(string directory, long number, long capacity)
    {
        string path = System.IO.Path.Combine(directory, JournalFormat.SegmentName(number));
        FileStream? file = null;
        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        JournalSegment? segment = null;
        try
        {
            file = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.ReadWrite,
                Share = FileShare.Read,
                BufferSize = 0,
                PreallocationSize = OperatingSystem.IsLinux() ? 0 : capacity,
            });
            Reserve(file, capacity);
            map = MemoryMappedFile.CreateFromFile(file, mapName: null, capacity, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: true);
            view = map.CreateViewAccessor(0, capacity, MemoryMappedFileAccess.ReadWrite);
            segment = new JournalSegment(number, path, file, map, view, capacity);
            segment.Append(JournalFormat.SegmentHeader(number));
            segment.Sync();
            DirectorySync.Sync(directory);
            return segment;
        }
        catch
        {
            if (segment is not null)
            {
                segment.Dispose();
            }
            else
            {
                view?.Dispose();
                map?.Dispose();
                file?.Dispose();
            }

            TryDelete(path);
            throw;
        }
    }

    /// <summary>
    /// Gives the file its full size with every block allocated, so that no write through the mapping can find the
    /// disk full. On Linux, posix_fallocate: where the file system cannot reserve blocks, the C library writes
    /// them instead. (A copy-on-write file system, btrfs or ZFS, may still need new blocks when a page is
    /// rewritten; the journal's folder belongs on ext4 or XFS.) Elsewhere FileStream's preallocation did it.
    /// </summary>
    private static void Reserve(FileStream file, long capacity)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        int error = PosixFallocate(file.SafeFileHandle, 0, capacity);
        if (error != 0)
        {
            const int NoSpace = 28; // ENOSPC
            throw new IOException(error == NoSpace
                ? $"No space left on device to preallocate a {capacity}-byte journal segment."
                : $"Could not preallocate a {capacity}-byte journal segment (posix_fallocate error {error}).");
        }
    }

    [LibraryImport("libc", EntryPoint = "posix_fallocate")]
    private static partial int PosixFallocate(Microsoft.Win32.SafeHandles.SafeFileHandle fd, long offset, long length);

    /// <summary>Whether <paramref name="length"/> more bytes fit.</summary>
    public bool Fits(int length) => Used + length <= Capacity;

    /// <summary>The next <paramref name="length"/> bytes of the mapping, to encode a record into; then <see cref="Advance"/>.</summary>
    public Span<byte> Next(int length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!Fits(length))
        {
            throw new InvalidOperationException($"A record of {length} bytes does not fit the segment ({Used} of {Capacity} bytes used).");
        }

        return new Span<byte>(_base + Used, length);
    }

    public void Advance(int length) => Used += length;

    /// <summary>Makes what was copied in durable.</summary>
    public void Sync()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!OperatingSystem.IsLinux())
        {
            // Elsewhere an fsync of the file need not cover pages written through a mapping (POSIX asks for msync).
            _view.Flush();
        }

        DirectorySync.SyncFile(_file);
    }

    /// <summary>Syncs, unmaps and truncates the file to what was used, durably: the segment is sealed.</summary>
    public void Seal()
    {
        Sync();
        Unmap();
        _file.SetLength(Used);
        DirectorySync.SyncFile(_file);
        _file.Dispose();
    }

    /// <summary>Closes without sealing (the file keeps its preallocated size; recovery reads up to the zeros).</summary>
    public void Dispose()
    {
        Unmap();
        _file.Dispose();
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Next(bytes.Length));
        Advance(bytes.Length);
    }

    private void Unmap()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // The next attempt to create it fails and says so.
        }
        catch (UnauthorizedAccessException)
        {
            // As above.
        }
    }
}
