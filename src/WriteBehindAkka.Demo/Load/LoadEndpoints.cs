using Microsoft.AspNetCore.Http.HttpResults;

namespace WriteBehindAkka.Demo.Load;

/// <summary><c>POST /load</c> starts a run of the load generator, <c>GET /load</c> reads it, <c>DELETE /load</c> stops it.</summary>
internal static class LoadEndpoints
{
    /// <summary>The most distinct players a run writes.</summary>
    public const int MaxPlayers = 100_000_000;

    /// <summary>The longest run (a week).</summary>
    public const int MaxSeconds = 7 * 24 * 3600;

    public static void MapLoad(this IEndpointRouteBuilder app)
    {
        app.MapPost("/load", Start);
        app.MapGet("/load", (LoadGenerator load) => TypedResults.Ok(load.Status()));
        app.MapDelete("/load", (LoadGenerator load) => TypedResults.Ok(load.Stop()));
    }

    private static Results<Accepted<LoadStatus>, ProblemHttpResult> Start(int? writesPerSecond, int? seconds, int? players, LoadGenerator load)
    {
        int rate = writesPerSecond ?? 1000;
        int duration = seconds ?? 60;
        int distinct = players ?? 10_000;
        if (rate is < 1 or > 1_000_000 || duration is < 0 or > MaxSeconds || distinct is < 1 or > MaxPlayers)
        {
            return TypedResults.Problem(
                $"writesPerSecond is {rate}, seconds {duration}, players {distinct}: use 1 to 1000000 writes per second, 0 to {MaxSeconds} seconds (0 = until DELETE /load), and 1 to {MaxPlayers} players.",
                statusCode: StatusCodes.Status400BadRequest);
        }

        return TypedResults.Accepted("/load", load.Start(rate, duration, distinct));
    }
}
