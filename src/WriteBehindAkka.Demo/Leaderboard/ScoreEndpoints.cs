using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace WriteBehindAkka.Demo.Leaderboard;

/// <summary>The leaderboard API: post a score, read a player, read a write's status, the top N, flush.</summary>
internal static class ScoreEndpoints
{
    /// <summary>The longest player name taken.</summary>
    public const int MaxNameLength = 100;

    public static void MapScores(this IEndpointRouteBuilder app)
    {
        app.MapPost("/scores/{playerId:long}", PostScoreAsync);
        app.MapGet("/scores/{playerId:long}", GetScoreAsync);
        app.MapGet("/scores/{playerId:long}/status", GetStatusAsync);
        app.MapGet("/leaderboard", GetTopAsync);
        app.MapPost("/flush", FlushAsync);

        // A player id that is not a whole number matched no route and got a bare 404 with an empty body.
        app.MapGet("/scores/{playerId}", NotAPlayerId);
        app.MapPost("/scores/{playerId}", NotAPlayerIdOrNotJson);
        app.MapGet("/scores/{playerId}/status", NotAPlayerId);
    }

    /// <summary>
    /// A POST the score route did not take: its id is not a whole number, or (the route only takes JSON) its body is not
    /// JSON. The latter was answered "use a whole number" for an id that is one.
    /// </summary>
    private static ProblemHttpResult NotAPlayerIdOrNotJson(string playerId, HttpRequest request) =>
        long.TryParse(playerId, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)
            ? TypedResults.Problem(
                $"The body {(string.IsNullOrEmpty(request.ContentType) ? "has no content type" : $"is {request.ContentType}")}: send JSON with Content-Type: application/json, for example {{\"score\": 123, \"name\": \"ada\"}}.",
                statusCode: StatusCodes.Status415UnsupportedMediaType)
            : NotAPlayerId(playerId);

    private static ProblemHttpResult NotAPlayerId(string playerId) =>
        TypedResults.Problem($"playerId is '{playerId}': use a whole number, for example /scores/7.", statusCode: StatusCodes.Status400BadRequest);

    /// <summary>
    /// Writes a score. Answers 202 as soon as the cache accepted it (memory speed); with <c>?consistency=committed</c>,
    /// answers 200 once PostgreSQL has it. With <c>?keep=best</c> the player keeps the higher of the score held and the
    /// one sent, atomically (<c>AddOrUpdateAsync</c>: two requests racing cannot leave the lower one).
    /// </summary>
    private static async Task<Results<Accepted<ScoreWritten>, Ok<ScoreWritten>, ProblemHttpResult>> PostScoreAsync(
        long playerId,
        ScoreRequest? body,
        string? consistency,
        string? keep,
        [FromKeyedServices(DemoHost.CacheName)] IWriteBehindCache<long, PlayerScore> cache,
        CancellationToken cancellationToken)
    {
        if (body?.Score is not { } score)
        {
            return TypedResults.Problem("Send a JSON body with a score, for example {\"score\": 123, \"name\": \"ada\"}.", statusCode: StatusCodes.Status400BadRequest);
        }

        var level = consistency?.ToLowerInvariant() switch
        {
            null or "" or "accepted" => WriteConsistency.Accepted,
            "committed" => WriteConsistency.Committed,
            _ => (WriteConsistency?)null,
        };
        if (level is not { } wanted)
        {
            return TypedResults.Problem($"consistency is '{consistency}': use accepted (the default) or committed.", statusCode: StatusCodes.Status400BadRequest);
        }

        bool? keepBest = keep?.ToLowerInvariant() switch
        {
            null or "" or "latest" => false,
            "best" => true,
            _ => null,
        };
        if (keepBest is not { } best)
        {
            return TypedResults.Problem($"keep is '{keep}': use latest (the default: the score sent replaces the one held) or best (the higher of the two is kept).", statusCode: StatusCodes.Status400BadRequest);
        }

        string name = string.IsNullOrWhiteSpace(body.Name) ? $"player-{playerId}" : body.Name.Trim();
        if (name.Length > MaxNameLength || name.Any(char.IsControl))
        {
            // PostgreSQL text cannot hold a NUL: such a name would be accepted here and refused by every batch.
            return TypedResults.Problem(
                $"name is {name.Length} characters{(name.Any(char.IsControl) ? " with control characters" : string.Empty)}: use at most {MaxNameLength} printable characters.",
                statusCode: StatusCodes.Status400BadRequest);
        }

        var value = new PlayerScore(name, score);
        try
        {
            ScoreWritten written;
            if (best)
            {
                var kept = await cache.AddOrUpdateAsync(playerId, value, held => held.Score >= value.Score ? held : value, wanted, cancellationToken);
                written = new ScoreWritten(playerId, kept.Value.Name, kept.Value.Score, kept.Version, kept.Consistency, kept.Changed);
            }
            else
            {
                var result = await cache.SetAsync(playerId, value, wanted, cancellationToken);
                written = new ScoreWritten(playerId, value.Name, value.Score, result.Version, result.Consistency);
            }

            return wanted == WriteConsistency.Committed ? TypedResults.Ok(written) : TypedResults.Accepted($"/scores/{playerId}/status", written);
        }
        catch (CacheOverflowException error)
        {
            return TypedResults.Problem(error.Message, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        catch (WriteFailedException error)
        {
            return TypedResults.Problem(error.Message, statusCode: StatusCodes.Status422UnprocessableEntity);
        }
        catch (ArgumentException error)
        {
            // Refused before it was accepted (a value over MaxValueBytes, say): the request is at fault.
            return TypedResults.Problem(error.Message, statusCode: StatusCodes.Status400BadRequest);
        }
    }

    /// <summary>Reads a player's latest score from the cache: your own write at once, else the row (read-through).</summary>
    private static async Task<Results<Ok<PlayerView>, ProblemHttpResult>> GetScoreAsync(
        long playerId,
        [FromKeyedServices(DemoHost.CacheName)] IWriteBehindCache<long, PlayerScore> cache,
        CancellationToken cancellationToken)
    {
        var lookup = await cache.TryGetAsync(playerId, cancellationToken);
        return lookup.Found && lookup.Value is { } value
            ? TypedResults.Ok(new PlayerView(playerId, value.Name, value.Score))
            : TypedResults.Problem($"Player {playerId} has no score yet: POST /scores/{playerId} with {{\"score\": 123}}.", statusCode: StatusCodes.Status404NotFound);
    }

    /// <summary>Where the player's latest write stands: Pending, Writing, Completed or Failed.</summary>
    private static async Task<Ok<StatusView>> GetStatusAsync(
        long playerId,
        [FromKeyedServices(DemoHost.CacheName)] IWriteBehindCache<long, PlayerScore> cache,
        CancellationToken cancellationToken)
    {
        var status = await cache.GetStatusAsync(playerId, cancellationToken);
        return TypedResults.Ok(new StatusView(playerId, status.State, status.Version, status.CommittedVersion, status.LastCommittedAt, status.LastError));
    }

    /// <summary>The top N from PostgreSQL: committed scores only (POST /flush first to include every accepted write).</summary>
    private static async Task<Results<Ok<TopView>, ProblemHttpResult>> GetTopAsync(int? top, LeaderboardTable table, CancellationToken cancellationToken)
    {
        int count = top ?? 10;
        if (count is < 1 or > 1000)
        {
            return TypedResults.Problem($"top is {count}: use 1 to 1000.", statusCode: StatusCodes.Status400BadRequest);
        }

        return TypedResults.Ok(new TopView("postgresql", await table.TopAsync(count, cancellationToken)));
    }

    /// <summary>Completes when every write accepted before it is committed (or failed).</summary>
    private static async Task<Ok<FlushView>> FlushAsync(
        [FromKeyedServices(DemoHost.CacheName)] IWriteBehindCache<long, PlayerScore> cache,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        long started = time.GetTimestamp();
        var result = await cache.FlushAsync(cancellationToken);
        return TypedResults.Ok(new FlushView(result.FailedWrites, result.AllCommitted, time.GetElapsedTime(started).TotalMilliseconds));
    }
}
