namespace WriteBehindAkka.Hocon.Parsing;

/// <summary>Locates an included file relative to the file that includes it.</summary>
internal static class IncludePaths
{
    /// <summary>
    /// Combines the directory of <paramref name="includingFile"/> with <paramref name="name"/> and removes
    /// <c>.</c> and <c>..</c> elements. Absolute names are kept; with no including file the name is used as is.
    /// </summary>
    public static string Combine(string? includingFile, string name)
    {
        if (includingFile is null || Path.IsPathRooted(name))
        {
            return Normalize(name);
        }

        var directoryEnd = includingFile.LastIndexOfAny(['/', Path.DirectorySeparatorChar]);
        return Normalize(directoryEnd < 0 ? name : includingFile[..(directoryEnd + 1)] + name);
    }

    private static string Normalize(string path)
    {
        var parts = path.Split(['/', Path.DirectorySeparatorChar]);
        var kept = new List<string>(parts.Length);
        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i];
            if (part == "." || (part.Length == 0 && i > 0 && i < parts.Length - 1))
            {
                continue; // "a/./b" and "a//b" both mean "a/b"; a leading empty part marks an absolute path.
            }

            if (part == ".." && kept.Count > 0 && kept[^1] != ".." && kept[^1].Length > 0)
            {
                kept.RemoveAt(kept.Count - 1);
                continue;
            }

            kept.Add(part);
        }

        return string.Join('/', kept);
    }
}
