using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.Extensions.Configuration;
using WriteBehindAkka.Hocon;

namespace WriteBehindAkka.Demo.Tests;

/// <summary>
/// The READMEs' C# samples compile against the libraries as they are: a renamed method, a parameter or an option
/// that no longer exists fails here instead of in a reader's editor. A sample that is a fragment gets the lines it
/// leaves out (usings, the variables it uses, its record types) from <see cref="Preludes"/>, keyed by its first line.
/// </summary>
public sealed partial class ReadmeSamplesTests
{
    /// <summary>What each sample leaves out, by its first line that is not a using; null: the sample is not code to compile (an API listing).</summary>
    private static readonly Dictionary<string, (string Before, string After)?> Preludes = new(StringComparer.Ordinal)
    {
        ["var serializer = new JsonValueSerializer<Player>();"] = (string.Empty, string.Empty), // the quickstart: a whole program
        ["// using NpgsqlTypes; options without Schema or Table: the mapping names the table."] = (
            "using NpgsqlTypes;\nusing WriteBehindAkka.PostgreSql;\nusing WriteBehindAkka.Serialization;\n",
            "\npublic sealed record PlayerScore(long PlayerId, int Score);\n"),
        ["var options = new WriteBehindOptions"] = (
            string.Empty,
            "\npartial class Program { static IWriteBehindStore<long> store = null!; static WriteBehindAkka.Serialization.JsonValueSerializer<Player> serializer = new(); }\n" +
            "public sealed record Player(string Name, int Score);\n"),
        ["// A counter: no increment is lost, however many callers."] = (
            "IWriteBehindCache<string, long> counters = null!;\nIWriteBehindCache<long, Player> players = null!;\n",
            "\npublic sealed record Player(string Name, int Score);\n"),
        ["var store = new InMemoryStore<string>();"] = ("using WriteBehindAkka.TestKit;\n", string.Empty),
        ["var configuration = new ConfigurationBuilder()"] = ("using WriteBehindAkka.Hocon;\n", string.Empty),
        ["var builder = WebApplication.CreateBuilder(args);"] = (string.Empty, string.Empty), // the hosting sample: a whole program
        ["ValueTask<IReadOnlyList<DeadLetter<TKey>>> ListDeadLettersAsync(int offset = 0, int limit = 100, CancellationToken cancellationToken = default); // oldest failure first"] = null,
    };

    /// <summary>The usings every sample may take for granted: the SDK's implicit ones, and the core namespaces.</summary>
    private const string GlobalUsings =
        "global using System; global using System.Collections.Generic; global using System.IO; global using System.Linq; " +
        "global using System.Threading; global using System.Threading.Tasks; global using WriteBehindAkka; global using WriteBehindAkka.Options; " +
        "global using WriteBehindAkka.Storage; global using Microsoft.AspNetCore.Builder; global using Microsoft.AspNetCore.Http; " +
        "global using Microsoft.AspNetCore.Mvc; global using Microsoft.Extensions.Configuration; global using Microsoft.Extensions.DependencyInjection; " +
        "global using Microsoft.Extensions.Hosting;";

    /// <summary>The READMEs with C# samples, relative to the repository's root.</summary>
    private static readonly string[] Readmes = ["README.md", "src/WriteBehindAkka.Hocon/README.md"];

    public static TheoryData<string, int, string> Samples()
    {
        var data = new TheoryData<string, int, string>();
        foreach (string readme in Readmes)
        {
            string text = File.ReadAllText(Path.Combine(RepositoryRoot(), readme));
            foreach (Match sample in CSharpBlock().Matches(text))
            {
                data.Add(readme, text[..sample.Index].Count(c => c == '\n') + 1, sample.Groups[1].Value);
            }
        }

        return data;
    }

    [Fact]
    public void Readmes_HaveTheSamplesThisTestKnows()
    {
        var firstLines = Samples().Select(row => FirstLine((string)row[2])).ToList();

        Assert.True(firstLines.Count >= 6, $"found {firstLines.Count} C# samples in the READMEs");
        Assert.All(firstLines, first => Assert.True(Preludes.ContainsKey(first), $"a README sample starts with '{first}': add what it leaves out to Preludes"));
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void ReadmeSample_Compiles(string readme, int line, string code)
    {
        if (Preludes[FirstLine(code)] is not { } prelude)
        {
            return; // not code to compile
        }

        string source = prelude.Before + code + prelude.After;
        var compilation = CSharpCompilation.Create(
            $"ReadmeSample{line}",
            [CSharpSyntaxTree.ParseText(GlobalUsings), CSharpSyntaxTree.ParseText(source)],
            References(),
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));

        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToList();

        Assert.True(errors.Count == 0, $"the sample at {readme}:{line} does not compile:\n{string.Join("\n", errors)}\n---\n{source}");
    }

    [Fact]
    public void ReadmeHostingSample_ItsConfigurationHasEverySectionItBindsAndItsStoresCreateTheirTables()
    {
        // Pasted as it was, the sample read 42P01 from its sessions cache (no table) and warned at every start
        // (event 2008) that the section it binds did not exist in the configuration it loads.
        string readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        var sample = CSharpBlock().Matches(readme).Single(block => block.Groups[1].Value.Contains("AddWriteBehindCache<string, Session>(\"sessions\")", StringComparison.Ordinal));
        string code = sample.Groups[1].Value;
        string file = Regex.Match(code, @"AddHoconFile\(""hocon/([^""]+)""\)").Groups[1].Value;
        var folder = Directory.CreateTempSubdirectory("wb-readme-");
        try
        {
            File.Copy(Path.Combine(RepositoryRoot(), "hocon", "writebehind.conf"), Path.Combine(folder.FullName, "writebehind.conf"));
            if (file != "writebehind.conf")
            {
                // The sample's own file: the HOCON block that follows it.
                var conf = Regex.Match(readme[(sample.Index + sample.Length)..], @"```hocon\n(.*?)\n```", RegexOptions.Singleline);
                Assert.True(conf.Success, $"the sample loads hocon/{file}, but no HOCON block follows it");
                File.WriteAllText(Path.Combine(folder.FullName, file), conf.Groups[1].Value);
            }

            var configuration = new ConfigurationBuilder().AddHoconFile(Path.Combine(folder.FullName, file)).Build();

            var sections = Regex.Matches(code, @"BindConfiguration\(""([^""]+)""\)").Select(m => m.Groups[1].Value).ToList();
            Assert.NotEmpty(sections);
            Assert.All(sections, section => Assert.True(configuration.GetSection(section).Exists(), $"the sample binds '{section}', which hocon/{file} does not have"));
            var stores = Regex.Matches(code, @"\.UsePostgreSql\(.*").Select(m => m.Value).ToList();
            Assert.Equal(2, stores.Count);
            Assert.All(stores, store => Assert.Contains("ensureTable: true", store, StringComparison.Ordinal));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void ReadmeLinks_ToASection_NameOneOfItsHeadings()
    {
        foreach (string readme in Documents)
        {
            string text = File.ReadAllText(Path.Combine(RepositoryRoot(), readme));
            var anchors = Anchors(text);
            var links = SectionLink().Matches(text).Select(m => m.Groups[1].Value).ToList();

            Assert.All(links, link => Assert.True(anchors.Contains(link), $"{readme} links to #{link}, which no heading makes"));
        }
    }

    [Fact]
    public void ReadmeLinks_ToAFile_NameAFileOfTheRepository_AndOneOfItsHeadings()
    {
        foreach (string document in Documents)
        {
            string folder = Path.GetDirectoryName(Path.Combine(RepositoryRoot(), document))!;
            string text = File.ReadAllText(Path.Combine(RepositoryRoot(), document));
            foreach (Match link in FileLink().Matches(text))
            {
                string target = Path.GetFullPath(Path.Combine(folder, link.Groups[1].Value));
                Assert.True(File.Exists(target) || Directory.Exists(target), $"{document} links to {link.Groups[1].Value}, which is not in the repository");
                if (link.Groups[2].Success)
                {
                    Assert.True(
                        Anchors(File.ReadAllText(target)).Contains(link.Groups[2].Value),
                        $"{document} links to {link.Groups[1].Value}#{link.Groups[2].Value}, which no heading there makes");
                }
            }
        }
    }

    /// <summary>The markdown documents whose links are checked, relative to the repository's root.</summary>
    private static readonly string[] Documents = [.. Readmes, "docs/performance-log.md"];

    /// <summary>
    /// GitHub's anchors for a document's headings: the heading in lower case, without what is not a letter, digit,
    /// space, hyphen or underscore, spaces made hyphens (code spans' backticks go too).
    /// </summary>
    private static HashSet<string> Anchors(string markdown)
    {
        string prose = Regex.Replace(markdown, "```.*?```", string.Empty, RegexOptions.Singleline); // a code block's "# comment" is no heading
        return Heading().Matches(prose)
            .Select(m => Regex.Replace(m.Groups[1].Value.Trim().ToLowerInvariant(), @"[^\p{L}\p{Nd} _-]", string.Empty).Replace(' ', '-'))
            .ToHashSet(StringComparer.Ordinal);
    }

    private static string FirstLine(string code) =>
        code.Split('\n').Select(line => line.TrimEnd('\r')).First(line => !line.StartsWith("using ", StringComparison.Ordinal) && line.Length > 0);

    /// <summary>The framework (with ASP.NET Core) and every library the samples use, as this test process has them.</summary>
    private static List<MetadataReference> References()
    {
        // Loads the libraries whose types the samples name, then takes the trusted platform assemblies (the
        // framework, the shared ASP.NET Core framework and this test's dependencies).
        _ = new[]
        {
            typeof(WriteBehindCache<,>), typeof(WriteBehindAkka.PostgreSql.PostgreSqlStore<,>), typeof(WriteBehindAkka.Hosting.WriteBehindServiceCollectionExtensions),
            typeof(WriteBehindAkka.Hocon.HoconConfigurationExtensions), typeof(WriteBehindAkka.TestKit.InMemoryStore<>), typeof(Npgsql.NpgsqlDataSource),
        };
        return ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(path => path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToList();
    }

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "WriteBehindAkka.sln")))
            {
                return folder.FullName;
            }
        }

        throw new DirectoryNotFoundException("WriteBehindAkka.sln was not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"```csharp\n(.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();

    [GeneratedRegex(@"^#{1,6} (.+)$", RegexOptions.Multiline)]
    private static partial Regex Heading();

    [GeneratedRegex(@"\]\(#([^)]+)\)")]
    private static partial Regex SectionLink();

    /// <summary>A link to a file by a relative path (not a web address, not a section of the same document), with its section if it names one.</summary>
    [GeneratedRegex(@"\]\((?!#|[a-z][a-z0-9+.-]*:)([^)#\s]+)(?:#([^)\s]+))?\)")]
    private static partial Regex FileLink();
}
