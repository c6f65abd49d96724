using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Primitives;

namespace WriteBehindAkka.Hocon.Tests;

/// <summary>An <see cref="IFileProvider"/> over a dictionary whose change tokens the test fires by hand.</summary>
internal sealed class InMemoryFileProvider : IFileProvider
{
    private readonly Dictionary<string, string> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CancellationTokenSource> _watchers = new(StringComparer.Ordinal);

    /// <summary>Sets a file's content without signalling a change.</summary>
    public void Write(string path, string text) => _files[path] = text;

    /// <summary>Sets a file's content and fires the change token for it (reload callbacks run synchronously).</summary>
    public void Change(string path, string text)
    {
        Write(path, text);
        if (_watchers.Remove(path, out var source))
        {
            source.Cancel();
            source.Dispose();
        }
    }

    public IFileInfo GetFileInfo(string subpath) =>
        _files.TryGetValue(subpath, out var text) ? new InMemoryFileInfo(subpath, text) : new NotFoundFileInfo(subpath);

    public IDirectoryContents GetDirectoryContents(string subpath) => NotFoundDirectoryContents.Singleton;

    public IChangeToken Watch(string filter)
    {
        if (!_watchers.TryGetValue(filter, out var source))
        {
            source = new CancellationTokenSource();
            _watchers[filter] = source;
        }

        return new CancellationChangeToken(source.Token);
    }
}
