using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Mvc;
using WriteBehindAkka.Demo.Leaderboard;
using WriteBehindAkka.Demo.Load;
using WriteBehindAkka.Demo.Metrics;
using WriteBehindAkka.Demo.Tests.Fixtures;

namespace WriteBehindAkka.Demo.Tests;

/// <summary>The demo's API end to end: in process on 127.0.0.1, writing through the hosted cache into a real PostgreSQL.</summary>
[Collection(DemoCollection.Name)]
public sealed class DemoApiTests(DemoPostgresFixture postgres)
{
    [Fact]
    public async Task Scores_PostReadFlushStatusTop_GoThroughTheCacheIntoPostgreSql()
    {
        await using var demo = await RunningDemo.StartAsync(postgres);

        var (accepted, first) = await demo.PostAsync<ScoreWritten>("/scores/1", new { score = 100, name = "ada" });
        var (_, _) = await demo.PostAsync<ScoreWritten>("/scores/2", new { score = 300 });
        var (committed, third) = await demo.PostAsync<ScoreWritten>("/scores/3?consistency=committed", new { score = 200, name = "cy" });
        var (_, latest) = await demo.PostAsync<ScoreWritten>("/scores/1", new { score = 500, name = "ada" });
        var player = await demo.GetAsync<PlayerView>("/scores/1");
        var (flushed, flush) = await demo.PostAsync<FlushView>("/flush");
        var status = await demo.GetAsync<StatusView>("/scores/1/status");
        var top = await demo.GetAsync<TopView>("/leaderboard?top=2");

        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal("/scores/1/status", accepted.Headers.Location?.OriginalString);
        Assert.Equal((1L, "ada", 100L, WriteConsistency.Accepted), (first!.PlayerId, first.Name, first.Score, first.Consistency));
        Assert.Equal(HttpStatusCode.OK, committed.StatusCode);
        Assert.Equal((3L, "cy", WriteConsistency.Committed), (third!.PlayerId, third.Name, third.Consistency));
        Assert.Equal(new PlayerView(1, "ada", 500), player);
        Assert.Equal(HttpStatusCode.OK, flushed.StatusCode);
        Assert.Equal((0L, true), (flush!.FailedWrites, flush.AllCommitted));
        Assert.Equal((WriteState.Completed, latest!.Version, latest.Version, null), (status.State, status.Version, status.CommittedVersion, status.LastError));
        Assert.Equal("postgresql", top.Source);
        Assert.Equal([new LeaderboardEntry(1, 1, "ada", 500), new LeaderboardEntry(2, 2, "player-2", 300)], top.Entries);
        Assert.Equal(3, await postgres.CountRowsAsync(demo.Table));
    }

    [Fact]
    public async Task Scores_KeepBest_KeepsTheHigherScoreEvenWhenRequestsRace()
    {
        await using var demo = await RunningDemo.StartAsync(postgres);

        var (first, added) = await demo.PostAsync<ScoreWritten>("/scores/9?keep=best", new { score = 100, name = "ada" });
        var (_, lower) = await demo.PostAsync<ScoreWritten>("/scores/9?keep=best", new { score = 50, name = "bob" });
        var racing = await Task.WhenAll(Enumerable.Range(1, 40).Select(i => demo.PostAsync<ScoreWritten>("/scores/9?keep=best", new { score = 100 + i, name = $"p{i}" })));
        var (committed, higher) = await demo.PostAsync<ScoreWritten>("/scores/9?keep=best&consistency=committed", new { score = 30, name = "cy" });
        var (badKeep, badKeepProblem) = await demo.PostAsync<ProblemDetails>("/scores/9?keep=highest", new { score = 1 });

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(("ada", 100L, true), (added!.Name, added.Score, added.Changed));
        Assert.Equal(("ada", 100L, false), (lower!.Name, lower.Score, lower.Changed));
        for (int i = 0; i < racing.Length; i++)
        {
            Assert.True(racing[i].Body!.Score >= 100 + i + 1, "each answer is the best score so far, at least the one sent");
        }

        Assert.Equal(HttpStatusCode.OK, committed.StatusCode);
        Assert.Equal(("p40", 140L, false, WriteConsistency.Committed), (higher!.Name, higher.Score, higher.Changed, higher.Consistency));
        Assert.Equal(new PlayerView(9, "p40", 140), await demo.GetAsync<PlayerView>("/scores/9"));
        Assert.Equal(HttpStatusCode.BadRequest, badKeep.StatusCode);
        Assert.StartsWith("keep is 'highest': use latest", badKeepProblem!.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scores_BadRequests_AnswerWithProblemDetailsThatSayTheFix()
    {
        await using var demo = await RunningDemo.StartAsync(postgres);

        var (noScore, noScoreProblem) = await demo.PostAsync<ProblemDetails>("/scores/1", new { name = "ada" });
        var (badLevel, badLevelProblem) = await demo.PostAsync<ProblemDetails>("/scores/1?consistency=fsync", new { score = 1 });
        var missing = await demo.Client.GetAsync("/scores/777");
        var badTop = await demo.Client.GetAsync("/leaderboard?top=0");
        var (nulName, nulNameProblem) = await demo.PostAsync<ProblemDetails>("/scores/1", new { score = 1, name = "a\0b" });
        var (longName, longNameProblem) = await demo.PostAsync<ProblemDetails>("/scores/1", new { score = 1, name = new string('n', 101) });
        var (manyPlayers, manyPlayersProblem) = await demo.PostAsync<ProblemDetails>("/load?players=2147483647");
        var (notAnId, notAnIdProblem) = await demo.PostAsync<ProblemDetails>("/scores/abc", new { score = 1 });
        var notAnIdRead = await demo.Client.GetAsync("/scores/abc/status");

        Assert.Equal((HttpStatusCode.BadRequest, "Send a JSON body with a score, for example {\"score\": 123, \"name\": \"ada\"}."), (noScore.StatusCode, noScoreProblem!.Detail));
        Assert.Equal((HttpStatusCode.BadRequest, "consistency is 'fsync': use accepted (the default) or committed."), (badLevel.StatusCode, badLevelProblem!.Detail));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("Player 777 has no score yet", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, badTop.StatusCode);
        Assert.Equal((HttpStatusCode.BadRequest, "name is 3 characters with control characters: use at most 100 printable characters."), (nulName.StatusCode, nulNameProblem!.Detail));
        Assert.Equal((HttpStatusCode.BadRequest, "name is 101 characters: use at most 100 printable characters."), (longName.StatusCode, longNameProblem!.Detail));
        Assert.Equal(HttpStatusCode.BadRequest, manyPlayers.StatusCode);
        Assert.EndsWith("and 1 to 100000000 players.", manyPlayersProblem!.Detail, StringComparison.Ordinal);
        Assert.Equal((HttpStatusCode.BadRequest, "playerId is 'abc': use a whole number, for example /scores/7."), (notAnId.StatusCode, notAnIdProblem!.Detail));
        Assert.Equal(HttpStatusCode.BadRequest, notAnIdRead.StatusCode);
        Assert.False((await demo.GetAsync<LoadStatus>("/load")).Running);
        Assert.Equal(0, await postgres.CountRowsAsync(demo.Table));
    }

    [Fact]
    public async Task Scores_PostWithoutAJsonBody_SaysToSendJsonNotThatTheIdIsWrong()
    {
        await using var demo = await RunningDemo.StartAsync(postgres);

        using var plain = new StringContent("{\"score\": 1}", System.Text.Encoding.UTF8, "text/plain");
        var asText = await demo.Client.PostAsync("/scores/1", plain);
        var noBody = await demo.Client.PostAsync("/scores/1", null);
        var asTextProblem = await asText.Content.ReadFromJsonAsync<ProblemDetails>(RunningDemo.Json);
        var noBodyProblem = await noBody.Content.ReadFromJsonAsync<ProblemDetails>(RunningDemo.Json);

        // Both used to answer "playerId is '1': use a whole number", for an id that is one.
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, asText.StatusCode);
        Assert.Equal("The body is text/plain; charset=utf-8: send JSON with Content-Type: application/json, for example {\"score\": 123, \"name\": \"ada\"}.", asTextProblem!.Detail);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, noBody.StatusCode);
        Assert.Equal("The body has no content type: send JSON with Content-Type: application/json, for example {\"score\": 123, \"name\": \"ada\"}.", noBodyProblem!.Detail);
        Assert.Equal(0, await postgres.CountRowsAsync(demo.Table));
    }

    [Fact]
    public async Task HealthAndMetrics_AfterWrites_ReportHealthyAndCountTheWrites()
    {
        await using var demo = await RunningDemo.StartAsync(postgres);
        for (int id = 1; id <= 5; id++)
        {
            await demo.PostAsync<ScoreWritten>($"/scores/{id}", new { score = id * 10 });
        }

        await demo.PostAsync<FlushView>("/flush");
        string health = await demo.Client.GetStringAsync("/health");
        var metrics = await demo.Client.GetAsync("/metrics");
        string text = await metrics.Content.ReadAsStringAsync();

        Assert.Equal("Healthy", health);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", metrics.Content.Headers.ContentType?.ToString());
        Assert.Contains("# TYPE writebehind_writes_accepted_total counter\nwritebehind_writes_accepted_total{writebehind_cache=\"scores\"} 5\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE writebehind_rows_committed_total counter\n", text, StringComparison.Ordinal);
        Assert.Contains("writebehind_pending_entries{writebehind_cache=\"scores\"} 0\n", text, StringComparison.Ordinal);
        Assert.Contains("writebehind_commit_duration_seconds_bucket{writebehind_cache=\"scores\",le=\"+Inf\"}", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Load_ARunOfOneSecond_WritesThroughTheCacheAndEverythingReachesPostgreSql()
    {
        await using var demo = await RunningDemo.StartAsync(postgres);

        var (started, run) = await demo.PostAsync<LoadStatus>("/load?writesPerSecond=400&seconds=1&players=50");
        LoadStatus status = run!;
        Assert.Equal((true, 400, 50), (run!.Running, run.WritesPerSecond, run.Players));
        using (var budget = new CancellationTokenSource(RunningDemo.Within))
        {
            while (status.Running)
            {
                await Task.Delay(50, budget.Token);
                status = await demo.GetAsync<LoadStatus>("/load");
            }
        }

        var (_, flush) = await demo.PostAsync<FlushView>("/flush");
        string metrics = await demo.Client.GetStringAsync("/metrics");

        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        Assert.InRange(status.Written, 300, 400);
        Assert.True(flush!.AllCommitted);
        Assert.Contains($"writebehind_writes_accepted_total{{writebehind_cache=\"scores\"}} {status.Written}\n", metrics, StringComparison.Ordinal);
        Assert.InRange(await postgres.CountRowsAsync(demo.Table), 1, 50);
    }

    [Fact]
    public async Task Stop_WithAcceptedWrites_DrainsThemIntoPostgreSqlBeforeTheHostEnds()
    {
        var demo = await RunningDemo.StartAsync(postgres);
        for (int id = 1; id <= 200; id++)
        {
            await demo.PostAsync<ScoreWritten>($"/scores/{id}", new { score = id });
        }

        await demo.Host.StopAsync();
        await demo.DisposeAsync();

        Assert.Equal(200, await postgres.CountRowsAsync(demo.Table));
    }

    [Fact]
    public async Task Stats_AfterSamples_ReportsHealthLoadAndSamples()
    {
        await using var demo = await RunningDemo.StartAsync(postgres, "--Demo:SampleInterval=00:00:00.1");
        StatsView stats;
        using (var budget = new CancellationTokenSource(RunningDemo.Within))
        {
            do
            {
                await Task.Delay(50, budget.Token);
                stats = await demo.GetAsync<StatsView>("/api/stats");
            }
            while (stats.Samples.Count < 2);
        }

        Assert.Equal(("scores", 100.0, "Healthy"), (stats.Cache, stats.SampleIntervalMs, stats.Health.Status));
        Assert.Equal("writebehind-scores", Assert.Single(stats.Health.Checks).Name);
        Assert.False(stats.Load.Running);
        var newer = await demo.GetAsync<StatsView>($"/api/stats?since={stats.Samples[^1].At}");
        Assert.All(newer.Samples, s => Assert.True(s.At > stats.Samples[^1].At));
    }
}
