using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.FileProviders;

namespace WriteBehindAkka.Hocon;

/// <summary>
/// Loads a HOCON file (and the files it includes, through the source's <see cref="IFileProvider"/>) into
/// configuration keys; see <see cref="HoconConfigurationFlattener"/> for how values are converted.
/// </summary>
/// <remarks>
/// The whole document is parsed and resolved before <see cref="ConfigurationProvider.Data"/> is replaced,
/// so a failure never leaves half of a file applied. A failure on the first load is thrown (wrapped in an
/// <see cref="InvalidDataException"/> by the base class, as <c>AddJsonFile</c> does). A failure on a later
/// load (a reload after the file changed) keeps the previous data and is reported to the source's
/// <see cref="FileConfigurationSource.OnLoadException"/> handler, if one is set. Only the main file is
/// watched: a change to an included file is picked up the next time the main file changes.
/// </remarks>
public class HoconConfigurationProvider : FileConfigurationProvider, IHoconConfigurationProvider
{
    private bool _loadedOnce;
    private volatile HoconPositionIndex? _positions;

    /// <summary>Creates a provider for <paramref name="source"/>.</summary>
    /// <param name="source">The file source.</param>
    public HoconConfigurationProvider(HoconConfigurationSource source)
        : base(source)
    {
    }

    /// <summary>Parses the HOCON in <paramref name="stream"/> and replaces the provider's data with it.</summary>
    /// <param name="stream">The content of the file named by the source's path.</param>
    /// <exception cref="HoconParseException">The first load failed to parse or resolve.</exception>
    public override void Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Dictionary<string, string?> data;
        HoconPositionIndex positions;
        try
        {
            string fileName = Source.Path ?? HoconParser.StringFileName;
            var text = HoconText.Read(stream, fileName);
            var root = HoconParser.Parse(text, fileName, ReadInclude);
            (data, positions) = HoconPositionIndex.Flatten(root);
        }
        catch (Exception ex) when (_loadedOnce && ex is HoconParseException or IOException or UnauthorizedAccessException)
        {
            // Keep serving the last good configuration; let the application log the problem.
            Source.OnLoadException?.Invoke(new FileLoadExceptionContext { Provider = this, Exception = ex });
            return;
        }

        _positions = positions;
        Data = data;
        _loadedOnce = true;
    }

    /// <inheritdoc />
    /// <remarks>Positions name the source's path (or an included file's path relative to the provider), as errors do.</remarks>
    public bool TryGetPosition(string key, out HoconPosition position) => HoconPositionIndex.Find(_positions, Data, key, out position);

    /// <summary>
    /// Reads an included file: through the source's file provider when it has the file; otherwise an absolute
    /// path, or a path that leaves a physical provider's root (<c>../shared/base.conf</c>), from the disk, since a
    /// <see cref="PhysicalFileProvider"/> answers "not found" for both.
    /// </summary>
    private string? ReadInclude(string path)
    {
        string fileName = path;
        if (Source.FileProvider is { } files)
        {
            var file = files.GetFileInfo(path);
            if (file.Exists && !file.IsDirectory)
            {
                using var stream = file.CreateReadStream();
                return HoconText.Read(stream, fileName);
            }

            if (!Path.IsPathRooted(path))
            {
                if (files is not PhysicalFileProvider physical)
                {
                    return null;
                }

                path = Path.GetFullPath(Path.Combine(physical.Root, path));
            }
        }

        return File.Exists(path) ? HoconText.Decode(File.ReadAllBytes(path), fileName) : null;
    }
}
