using Microsoft.Extensions.Configuration;

namespace WriteBehindAkka.Hocon.Tests;

/// <summary><see cref="IHoconConfigurationProvider.TryGetPosition"/>: where the value in the provider's data was written.</summary>
public class HoconPositionTests
{
    [Fact]
    public void TryGetPosition_FileWithAnIncludeAndARepeatedKey_NamesTheValueThatWon()
    {
        var files = new InMemoryFileProvider();
        files.Write("conf/app.conf", """
            include required("shared/base.conf")
            cache {
              size = 10
              size = 20
            }
            port = ${base.port}
            """);
        files.Write("conf/shared/base.conf", "cache { delay = 50ms }\nbase.port = 2552");
        var provider = Hocon(new ConfigurationBuilder().AddHoconFile(files, "conf/app.conf", optional: false, reloadOnChange: false).Build());

        Assert.Equal(new HoconPosition("conf/app.conf", 4, 10), Position(provider, "cache:size"));
        Assert.Equal(new HoconPosition("conf/shared/base.conf", 1, 17), Position(provider, "CACHE:Delay"));
        Assert.Equal(new HoconPosition("conf/shared/base.conf", 2, 13), Position(provider, "port")); // the substituted value's
        Assert.Equal(new HoconPosition("conf/shared/base.conf", 1, 7), Position(provider, "cache")); // a section: where first written
        Assert.Null(Position(provider, "cache:missing"));
    }

    [Fact]
    public void TryGetPosition_String_NamesTheStringAndTheLine()
    {
        var provider = Hocon(new ConfigurationBuilder().AddHoconString("a {\n  b = [1, {}]\n  c = null\n}").Build());

        Assert.Equal(new HoconPosition(HoconParser.StringFileName, 2, 8), Position(provider, "a:b:0"));
        Assert.Equal(new HoconPosition(HoconParser.StringFileName, 2, 11), Position(provider, "a:b:1")); // an empty object: a null value
        Assert.Equal(new HoconPosition(HoconParser.StringFileName, 3, 7), Position(provider, "a:c"));
        Assert.Equal(new HoconPosition(HoconParser.StringFileName, 2, 7), Position(provider, "a:b"));
    }

    [Fact]
    public void TryGetPosition_FileChangedAndReloaded_FollowsTheNewData()
    {
        var files = new InMemoryFileProvider();
        files.Write("app.conf", "a = 1\nb = 2");
        var configuration = new ConfigurationBuilder()
            .AddHoconFile(source =>
            {
                source.FileProvider = files;
                source.Path = "app.conf";
                source.Optional = true;
                source.ReloadOnChange = true;
                source.ReloadDelay = 0;
                source.OnLoadException = context => context.Ignore = true;
            })
            .Build();
        var provider = Hocon(configuration);

        files.Change("app.conf", "# moved\n\nb = 2\n  a = 1");
        Assert.Equal((new HoconPosition("app.conf", 4, 7), new HoconPosition("app.conf", 3, 5)), (Position(provider, "a"), Position(provider, "b")));

        files.Change("app.conf", "a = [");  // invalid: the previous data and its positions stay
        Assert.Equal(("1", new HoconPosition("app.conf", 4, 7)), (configuration["a"], Position(provider, "a")));

        files.Change("app.conf", "b = 3");
        Assert.Equal((null, new HoconPosition("app.conf", 1, 5)), (Position(provider, "a"), Position(provider, "b")));
    }

    [Fact]
    public void TryGetPosition_OptionalFileRemovedOnReload_HasNoPositions()
    {
        var directory = Directory.CreateTempSubdirectory("hocon-positions-");
        try
        {
            var path = Path.Combine(directory.FullName, "app.conf");
            File.WriteAllText(path, "a = 1");
            var configuration = new ConfigurationBuilder().SetBasePath(directory.FullName).AddHoconFile("app.conf", optional: true).Build();
            var provider = Hocon(configuration);
            Assert.Equal(new HoconPosition("app.conf", 1, 5), Position(provider, "a"));

            File.Delete(path);
            configuration.Reload();

            Assert.Null(configuration["a"]);
            Assert.Null(Position(provider, "a"));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void TryGetPosition_ValueSetAfterLoading_HasNoPosition()
    {
        var configuration = new ConfigurationBuilder().AddHoconString("a = 1\nb = 2\nc { d = 3 }").Build();
        var provider = Hocon(configuration);

        configuration["a"] = "10";
        configuration["c"] = "4";
        configuration["b"] = "2"; // the same value as written

        Assert.Equal((null, null), (Position(provider, "a"), Position(provider, "c")));
        Assert.Equal(new HoconPosition(HoconParser.StringFileName, 2, 5), Position(provider, "b"));
        Assert.Equal(new HoconPosition(HoconParser.StringFileName, 3, 9), Position(provider, "c:d"));
    }

    [Fact]
    public void HoconPosition_ToString_IsFileLineColumn() =>
        Assert.Equal("hocon/app.conf(12,7)", new HoconPosition("hocon/app.conf", 12, 7).ToString());

    private static IHoconConfigurationProvider Hocon(IConfigurationRoot configuration) =>
        Assert.IsAssignableFrom<IHoconConfigurationProvider>(Assert.Single(configuration.Providers));

    private static HoconPosition? Position(IHoconConfigurationProvider provider, string key) =>
        provider.TryGetPosition(key, out var position) ? position : null;
}
