using System.Text;
using Microsoft.Extensions.FileProviders;

namespace WriteBehindAkka.Hocon.Tests;

/// <summary>A file held in memory by <see cref="InMemoryFileProvider"/>.</summary>
internal sealed class InMemoryFileInfo(string path, string text) : IFileInfo
{
    public bool Exists => true;

    public long Length => Encoding.UTF8.GetByteCount(text);

    public string? PhysicalPath => null;

    public string Name => Path.GetFileName(path);

    public DateTimeOffset LastModified => DateTimeOffset.UnixEpoch;

    public bool IsDirectory => false;

    public Stream CreateReadStream() => new MemoryStream(Encoding.UTF8.GetBytes(text));
}
