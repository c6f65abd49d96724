using Microsoft.Extensions.Configuration;

namespace WriteBehindAkka.Hocon.Tests;

public class HoconConfigurationExtensionsTests
{
    [Fact]
    public void AddHoconString_ValidText_ExposesCaseInsensitiveKeys()
    {
        var configuration = new ConfigurationBuilder()
            .AddHoconString("akka.cluster { roles = [backend, \"front end\"], seed-nodes = [] }")
            .Build();

        Assert.Equal("backend", configuration["AKKA:Cluster:Roles:0"]);
        Assert.Equal("front end", configuration["akka:cluster:roles:1"]);
        Assert.Equal(["backend", "front end"], configuration.GetSection("akka:cluster:roles").Get<string[]>()!);
    }

    [Fact]
    public void TwoSources_AreResolvedSeparately_SoALaterArrayOverlaysAnEarlierOneByIndex()
    {
        // Each source is parsed and resolved on its own: "+=" in the second does not see the first one's array (it
        // starts a new one), and IConfiguration then merges the two key by key, element 0 over element 0.
        var configuration = new ConfigurationBuilder()
            .AddHoconString("akka.cluster.roles = [a, b]")
            .AddHoconString("akka.cluster.roles += backend")
            .Build();

        Assert.Equal(["backend", "b"], configuration.GetSection("akka:cluster:roles").Get<string[]>()!);

        // A substitution cannot refer to another source at all.
        var builder = new ConfigurationBuilder()
            .AddHoconString("base.port = 1")
            .AddHoconString("svc.port = ${base.port}");
        Assert.Contains("${base.port}", Assert.Throws<HoconParseException>(() => builder.Build()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddHoconString_MalformedText_ThrowsOnBuildWithPosition()
    {
        var builder = new ConfigurationBuilder().AddHoconString("a {\n  b = [1, 2\n}");

        var ex = Assert.Throws<HoconParseException>(() => builder.Build());

        Assert.Equal("<string>(3,1): expected ']' to close the array opened at <string>(2,7), found '}'", ex.Message);
    }

    [Fact]
    public void Bind_OptionsWithDurationsSizesBooleansAndArrays_BindsEveryProperty()
    {
        var configuration = new ConfigurationBuilder()
            .AddHoconString(
                """
                sample {
                  timeout = 200ms
                  interval = 1 minute
                  maxBytes = 64MiB
                  retries = 3
                  enabled = on
                  verbose = false
                  name = my service
                  roles = [ backend
                            "front end" ]
                }
                """)
            .Build();

        var options = configuration.GetSection("sample").Get<SampleOptions>()!;

        Assert.Equal(TimeSpan.FromMilliseconds(200), options.Timeout);
        Assert.Equal(TimeSpan.FromMinutes(1), options.Interval);
        Assert.Equal(64L * 1024 * 1024, options.MaxBytes);
        Assert.Equal(3, options.Retries);
        Assert.True(options.Enabled);
        Assert.False(options.Verbose);
        Assert.Equal("my service", options.Name);
        Assert.Equal(["backend", "front end"], options.Roles);
    }

    [Fact]
    public void AddHoconFile_TempFileWithRelativeInclude_LoadsBoth()
    {
        var directory = Directory.CreateTempSubdirectory("hocon-file-");
        try
        {
            Directory.CreateDirectory(Path.Combine(directory.FullName, "conf"));
            File.WriteAllText(Path.Combine(directory.FullName, "conf", "app.conf"), "include \"db.conf\"\napp.name = demo\n");
            File.WriteAllText(Path.Combine(directory.FullName, "conf", "db.conf"), "db { host = localhost, timeout = 5s }\n");

            var configuration = new ConfigurationBuilder()
                .SetBasePath(directory.FullName)
                .AddHoconFile("conf/app.conf")
                .Build();

            Assert.Equal("demo", configuration["app:name"]);
            Assert.Equal("localhost", configuration["db:host"]);
            Assert.Equal("00:00:05", configuration["db:timeout"]);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void AddHoconFile_IncludesOutsideTheBaseFolderAndAbsolute_AreRead()
    {
        var directory = Directory.CreateTempSubdirectory("hocon-outside-");
        try
        {
            foreach (var folder in new[] { "app", "shared", "secrets" })
            {
                Directory.CreateDirectory(Path.Combine(directory.FullName, folder));
            }

            string secrets = Path.Combine(directory.FullName, "secrets", "db.conf");
            File.WriteAllText(secrets, "db.password = hunter2\n");
            File.WriteAllText(Path.Combine(directory.FullName, "shared", "base.conf"), "base.name = shared\n");
            File.WriteAllText(
                Path.Combine(directory.FullName, "app", "app.conf"),
                $"include required(\"../shared/base.conf\")\ninclude required(\"{secrets}\")\napp.name = demo\n");

            var configuration = new ConfigurationBuilder()
                .SetBasePath(Path.Combine(directory.FullName, "app"))
                .AddHoconFile("app.conf")
                .Build();

            Assert.Equal(("demo", "shared", "hunter2"), (configuration["app:name"], configuration["base:name"], configuration["db:password"]));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void AddHoconFile_AbsolutePath_Loads()
    {
        var path = Path.Combine(Path.GetTempPath(), $"hocon-{Guid.NewGuid():N}.conf");
        File.WriteAllText(path, "a = 1\n");
        try
        {
            var configuration = new ConfigurationBuilder().AddHoconFile(path).Build();

            Assert.Equal("1", configuration["a"]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AddHoconFile_NotUtf8_IsRefusedWithThePositionOfTheFirstBadByte_NotReadAsReplacementCharacters(bool included)
    {
        // A file saved as Latin-1 (Windows-1252): "é" is the single byte 0xE9. It was decoded to U+FFFD without a
        // word, so the value bound was not the one written (a password, a table name) and nothing said why.
        var directory = Directory.CreateTempSubdirectory("hocon-latin1-");
        try
        {
            byte[] latin1 = [.. "a = 1\nname = caf"u8, 0xE9, .. "\n"u8];
            File.WriteAllBytes(Path.Combine(directory.FullName, "bad.conf"), latin1);
            File.WriteAllText(Path.Combine(directory.FullName, "app.conf"), "x = 1\ninclude required(\"bad.conf\")\n");
            var builder = new ConfigurationBuilder().SetBasePath(directory.FullName).AddHoconFile(included ? "app.conf" : "bad.conf");

            var ex = Assert.Throws<InvalidDataException>(() => builder.Build());

            var inner = Assert.IsType<HoconParseException>(ex.InnerException);
            Assert.Equal("bad.conf(2,11): the file is not valid UTF-8 (byte 0xE9); HOCON files are UTF-8: save it as UTF-8", inner.Message);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void AddHoconFile_Utf8WithAndWithoutBom_AndUtf16WithBom_AreRead()
    {
        var directory = Directory.CreateTempSubdirectory("hocon-encodings-");
        try
        {
            File.WriteAllText(Path.Combine(directory.FullName, "plain.conf"), "name = café\n", new System.Text.UTF8Encoding(false));
            File.WriteAllText(Path.Combine(directory.FullName, "bom.conf"), "name2 = café\n", new System.Text.UTF8Encoding(true));
            File.WriteAllText(Path.Combine(directory.FullName, "wide.conf"), "name3 = café\n", System.Text.Encoding.Unicode);
            var configuration = new ConfigurationBuilder().SetBasePath(directory.FullName)
                .AddHoconFile("plain.conf").AddHoconFile("bom.conf").AddHoconFile("wide.conf").Build();

            Assert.Equal(("café", "café", "café"), (configuration["name"], configuration["name2"], configuration["name3"]));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void AddHoconFile_MalformedFile_ThrowsWrappedParseErrorNamingFile()
    {
        var files = new InMemoryFileProvider();
        files.Write("hocon/demo.conf", "a = 1\nakka { batching }\n");
        var builder = new ConfigurationBuilder().AddHoconFile(files, "hocon/demo.conf", optional: false, reloadOnChange: false);

        var ex = Assert.Throws<InvalidDataException>(() => builder.Build());

        var inner = Assert.IsType<HoconParseException>(ex.InnerException);
        Assert.Equal("hocon/demo.conf(2,17): expected '=' or ':' or '{' after key 'batching', found '}'", inner.Message);
    }

    [Fact]
    public void AddHoconFile_MissingOptionalFile_AddsNoKeys()
    {
        var configuration = new ConfigurationBuilder()
            .AddHoconFile(new InMemoryFileProvider(), "missing.conf", optional: true, reloadOnChange: false)
            .Build();

        Assert.Empty(configuration.AsEnumerable());
    }

    [Fact]
    public void AddHoconFile_MissingRequiredFile_ThrowsFileNotFound()
    {
        var builder = new ConfigurationBuilder()
            .AddHoconFile(new InMemoryFileProvider(), "missing.conf", optional: false, reloadOnChange: false);

        Assert.Throws<FileNotFoundException>(() => builder.Build());
    }

    [Fact]
    public void AddHoconFile_EmptyPath_ThrowsArgumentException() =>
        Assert.Throws<ArgumentException>(() => new ConfigurationBuilder().AddHoconFile(string.Empty));

    [Fact]
    public void AddHoconFile_IncludeThroughFileProvider_ResolvesRelativeToIncludingFile()
    {
        var files = new InMemoryFileProvider();
        files.Write("conf/app.conf", "include required(\"shared/base.conf\")\nport = ${base.port}");
        files.Write("conf/shared/base.conf", "base.port = 2552");

        var configuration = new ConfigurationBuilder()
            .AddHoconFile(files, "conf/app.conf", optional: false, reloadOnChange: false)
            .Build();

        Assert.Equal("2552", configuration["port"]);
        Assert.Equal("2552", configuration["base:port"]);
    }

    [Fact]
    public void AddHoconFile_ProviderPathWithALeadingSlash_IncludesStillGoThroughTheProvider()
    {
        var files = new InMemoryFileProvider();
        files.Write("/conf/app.conf", "include required(\"base.conf\")\nport = ${base.port}");
        files.Write("/conf/base.conf", "base.port = 2552");

        var configuration = new ConfigurationBuilder()
            .AddHoconFile(files, "/conf/app.conf", optional: false, reloadOnChange: false)
            .Build();

        Assert.Equal("2552", configuration["port"]);
    }

    [Fact]
    public void Reload_FileBecomesInvalid_KeepsPreviousDataAndReportsError()
    {
        var files = new InMemoryFileProvider();
        files.Write("app.conf", "a = 1\nb = 2");
        var reported = new List<Exception>();
        var configuration = new ConfigurationBuilder()
            .AddHoconFile(source =>
            {
                source.FileProvider = files;
                source.Path = "app.conf";
                source.ReloadOnChange = true;
                source.ReloadDelay = 0;
                source.OnLoadException = context => reported.Add(context.Exception);
            })
            .Build();

        files.Change("app.conf", "a = 10\nb = ${missing}");

        Assert.Equal(("1", "2"), (configuration["a"], configuration["b"]));
        var error = Assert.IsType<HoconParseException>(Assert.Single(reported));
        Assert.Equal(("app.conf", 2, 5), (error.FileName, error.Line, error.Column));

        files.Change("app.conf", "a = 10");

        Assert.Equal(("10", null), (configuration["a"], configuration["b"]));
    }

    [Fact]
    public void Reload_ManualReloadOfInvalidFile_KeepsPreviousData()
    {
        var directory = Directory.CreateTempSubdirectory("hocon-reload-");
        try
        {
            var path = Path.Combine(directory.FullName, "app.conf");
            File.WriteAllText(path, "a = 1");
            var configuration = new ConfigurationBuilder().SetBasePath(directory.FullName).AddHoconFile("app.conf").Build();

            File.WriteAllText(path, "a = [");
            configuration.Reload();

            Assert.Equal("1", configuration["a"]);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
