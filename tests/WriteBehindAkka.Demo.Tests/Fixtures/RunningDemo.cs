using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace WriteBehindAkka.Demo.Tests.Fixtures;

/// <summary>The demo application started in process on 127.0.0.1 and a free port, with its own table, and a client for it.</summary>
public sealed class RunningDemo : IAsyncDisposable
{
    public static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private RunningDemo(DemoHost host, string table)
    {
        Host = host;
        Table = table;
        Client = new HttpClient { BaseAddress = host.BaseAddress, Timeout = Within };
    }

    public DemoHost Host { get; }

    public string Table { get; }

    public HttpClient Client { get; }

    public Uri BaseAddress => Host.BaseAddress;

    /// <summary>Starts the demo against <paramref name="postgres"/> in a table of its own.</summary>
    public static async Task<RunningDemo> StartAsync(DemoPostgresFixture postgres, params string[] extraArgs)
    {
        string table = $"demo_{Guid.NewGuid():N}"[..21];
        string[] args =
        [
            "--urls=http://127.0.0.1:0",
            $"--ConnectionStrings:WriteBehind={postgres.ConnectionString}",
            $"--Demo:Table={table}",
            "--Logging:LogLevel:Default=Warning",
            .. extraArgs,
        ];
        var host = await DemoHost.CreateAsync(args);
        try
        {
            await host.StartAsync().WaitAsync(Within);
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }

        return new RunningDemo(host, table);
    }

    public async Task<T> GetAsync<T>(string path) => (await Client.GetFromJsonAsync<T>(path, Json))!;

    public async Task<(HttpResponseMessage Response, T? Body)> PostAsync<T>(string path, object? body = null)
    {
        var response = body is null ? await Client.PostAsync(path, null) : await Client.PostAsJsonAsync(path, body, Json);
        T? parsed = response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.Ordinal) == true
            ? await response.Content.ReadFromJsonAsync<T>(Json)
            : default;
        return (response, parsed);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Host.DisposeAsync();
    }
}
