using Microsoft.AspNetCore.Http.HttpResults;

namespace WriteBehindAkka.Demo.Load;

/// <summary><c>POST /load</c> starts a run of the load generator, <c>GET /load</c> reads it, <c>DELETE /load</c> stops it.</summary>
internal static class LoadEndpoints
{
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
        if (rate is < 1 or > 1_000_000 || duration < 0 || distinct < 1)
        {
            return TypedResults.Problem(
                $"writesPerSecond is {rate}, seconds {duration}, players {distinct}: use 1 to 1000000 writes per second, 0 seconds or more (0 = until DELETE /load), and at least 1 player.",
                statusCode: StatusCodes.Status400BadRequest);
        }

        return TypedResults.Accepted("/load", load.Start(rate, duration, distinct));
    }
}
