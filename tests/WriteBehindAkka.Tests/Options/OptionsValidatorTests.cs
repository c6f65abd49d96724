using WriteBehindAkka.Options;

namespace WriteBehindAkka.Tests.Options;

public sealed class OptionsValidatorTests
{
    [Fact]
    public void Validate_Defaults_NoProblems()
    {
        Assert.Empty(OptionsValidator.Validate(new WriteBehindOptions()));
    }

    [Fact]
    public void ShardCount_LeftAtItsDefault_FollowsAParallelismAboveTheProcessorCount()
    {
        // A Parallelism chosen on a 16-core laptop failed validation in a 2-core container, against a ShardCount
        // the user never set (its default is the processor count).
        int parallelism = Math.Max(2, Environment.ProcessorCount) + 6;
        var options = new WriteBehindOptions { Parallelism = parallelism };

        Assert.Equal(parallelism, options.ShardCount);
        Assert.Empty(OptionsValidator.Validate(options));
        Assert.Equal(parallelism + 1, (options with { Parallelism = parallelism + 1 }).ShardCount);
        Assert.Equal(Math.Max(Math.Max(2, Environment.ProcessorCount), 4), new WriteBehindOptions().ShardCount); // the default Parallelism is 4

        var set = new WriteBehindOptions { ShardCount = 2, Parallelism = 4 }; // set by the user: still checked
        Assert.Equal(2, set.ShardCount);
        Assert.Contains("Parallelism is 4 but ShardCount is 2; each writer owns at least one shard, so set Parallelism to at most ShardCount.", OptionsValidator.Validate(set));
    }

    [Theory]
    [InlineData(2, 2)]
    [InlineData(3, 3)]
    [InlineData(4, 4)]
    [InlineData(16, 4)]
    public void Parallelism_LeftAtItsDefault_FollowsAShardCountSetBelowIt(int shardCount, int parallelism)
    {
        // ShardCount = 2, set when the default Parallelism was 2, would be refused against the default of 4.
        var options = new WriteBehindOptions { ShardCount = shardCount };

        Assert.Equal(parallelism, options.Parallelism);
        Assert.Empty(OptionsValidator.Validate(options));
        Assert.Equal(3, (options with { Parallelism = 3 }).Parallelism);
    }

    [Fact]
    public void Parallelism_LeftAtItsDefault_WithAShardCountOfZero_OnlyTheShardCountIsReported()
    {
        var problems = OptionsValidator.Validate(new WriteBehindOptions { ShardCount = 0 });

        Assert.Equal(["ShardCount is 0; it must be greater than zero."], problems);
    }

    [Fact]
    public void Validate_EveryBadValue_OneProblemEach()
    {
        var options = new WriteBehindOptions
        {
            ShardCount = 0,
            MailboxCapacity = -1,
            MaxBatchSize = 0,
            MaxBatchBytes = 0,
            Parallelism = 0,
            PipelineBufferSize = 0,
            MaxPendingEntries = 0,
            MaxPendingBytes = 0,
            MaxValueBytes = 0,
            MaxBatchDelay = TimeSpan.FromSeconds(-1),
            WriteDelay = TimeSpan.FromSeconds(-1),
            MaxCachedEntries = -1,
            ShutdownTimeout = TimeSpan.FromSeconds(-1),
            OverflowStrategy = (OverflowStrategy)9,
            Restart = new RestartSettings { MinBackoff = TimeSpan.Zero, MaxBackoff = TimeSpan.FromSeconds(-1), RandomFactor = -1, MaxRestarts = -2, MaxRestartsWithin = TimeSpan.Zero },
        };

        var problems = OptionsValidator.Validate(options);

        Assert.Equal(19, problems.Count);
        Assert.Contains("MaxBatchBytes is 0; it must be greater than zero.", problems);
        Assert.Contains("OverflowStrategy is 9; use Backpressure or Fail.", problems);
        Assert.Contains("Restart.MaxRestarts is -2; use -1 for unlimited or a count of 0 or more.", problems);
    }

    [Fact]
    public void Validate_WithJournal_ValueLargerThanAJournalRecord_ExplainsTheLimit()
    {
        var journal = new WriteBehindAkka.Journal.JournalOptions { Directory = "/tmp/x" };

        var problems = OptionsValidator.Validate(new WriteBehindOptions { Journal = journal, MaxValueBytes = 300 << 20, MaxPendingBytes = 1L << 30 });

        Assert.Equal(["MaxValueBytes (314572800) is larger than the journal can store in one record (267386880 bytes, 255 MiB); lower MaxValueBytes or turn the journal off."], problems);
        Assert.Empty(OptionsValidator.Validate(new WriteBehindOptions { Journal = journal, MaxValueBytes = 255 << 20, MaxPendingBytes = 1L << 30 }));
        Assert.Empty(OptionsValidator.Validate(new WriteBehindOptions { MaxValueBytes = 300 << 20, MaxPendingBytes = 1L << 30 }));
    }

    [Fact]
    public void Validate_DurationsATimerCannotTake_AreRefusedNamingTheLimit()
    {
        var fifty = TimeSpan.FromDays(50);
        var options = new WriteBehindOptions
        {
            MaxBatchDelay = fifty,
            WriteDelay = fifty,
            ShutdownTimeout = fifty,
            Restart = new RestartSettings { MaxBackoff = fifty },
            Journal = new WriteBehindAkka.Journal.JournalOptions { Directory = "/tmp/j", FsyncInterval = fifty },
        };

        var problems = OptionsValidator.Validate(options);

        string[] expected = ["Journal.FsyncInterval", "MaxBatchDelay", "Restart.MaxBackoff", "ShutdownTimeout", "WriteDelay"];
        Assert.Equal(expected, problems.Select(p => p[..p.IndexOf(" is ", StringComparison.Ordinal)]).Order(StringComparer.Ordinal));
        Assert.Contains("ShutdownTimeout is 50.00:00:00; it must be at most 49 days (a timer's limit).", problems);
        Assert.Empty(OptionsValidator.Validate(options with
        {
            MaxBatchDelay = TimeSpan.FromDays(49),
            WriteDelay = TimeSpan.FromDays(49),
            ShutdownTimeout = TimeSpan.FromDays(49),
            Restart = new RestartSettings { MaxBackoff = TimeSpan.FromDays(49) },
            Journal = options.Journal with { FsyncInterval = TimeSpan.FromDays(49) },
        }));
    }

    [Fact]
    public void Backoff_MaxBackoffNearATimersLimitWithJitter_NeverWaitsPastTheLimit()
    {
        var restart = new RestartSettings { MaxBackoff = TimeSpan.FromDays(45), RandomFactor = 0.2 };

        Assert.Empty(OptionsValidator.Validate(new WriteBehindOptions { Restart = restart }));
        Assert.Equal(OptionsValidator.MaxTimerDuration, WriteBehindAkka.Supervision.Backoff.Compute(restart, attempt: 100, random: 1.0));
    }

    [Fact]
    public void Validate_ValueLargerThanPendingBytes_ExplainsTheConflict()
    {
        var problems = OptionsValidator.Validate(new WriteBehindOptions { MaxValueBytes = 100, MaxPendingBytes = 10 });

        Assert.Equal(["MaxValueBytes (100) is larger than MaxPendingBytes (10); one value could never be accepted. Raise MaxPendingBytes or lower MaxValueBytes."], problems);
    }

    [Theory]
    [InlineData(1024L, "Journal.SegmentBytes is 1024; it must be at least 4096.")]
    [InlineData(4L * 1024 * 1024 * 1024, "Journal.SegmentBytes is 4294967296; it must be at most 1073741824 (1 GiB): each segment is preallocated, mapped and read whole at start-up.")]
    public void Validate_JournalSegmentOutOfRange_NamesTheLimit(long segmentBytes, string expected)
    {
        var options = new WriteBehindOptions
        {
            Journal = new WriteBehindAkka.Journal.JournalOptions { Directory = "/tmp/j", SegmentBytes = segmentBytes, MaxJournalBytes = long.MaxValue },
        };

        Assert.Equal([expected], OptionsValidator.Validate(options));
    }

    [Fact]
    public void Validate_BatchOrValueOverWhatOneDatabaseMessageTakes_IsRefused()
    {
        // A batch goes to PostgreSQL as one message (at most 1 GiB): a larger one failed with 08P01, read as
        // transient, and was retried for ever.
        var problems = OptionsValidator.Validate(new WriteBehindOptions { MaxBatchBytes = 2L << 30, MaxValueBytes = 1 << 30, MaxPendingBytes = 4L << 30 });

        Assert.Equal(
        [
            "MaxBatchBytes (2147483648) is larger than 805306368 bytes (768 MiB): a batch goes to the database as one message, and PostgreSQL takes at most 1 GiB in one. Lower MaxBatchBytes.",
            "MaxValueBytes (1073741824) is larger than 805306368 bytes (768 MiB): a value goes to the database in one message (in a batch of its own when larger than MaxBatchBytes), and PostgreSQL takes at most 1 GiB in one. Lower MaxValueBytes.",
        ], problems);
        Assert.Empty(OptionsValidator.Validate(new WriteBehindOptions { MaxBatchBytes = 768L << 20, MaxValueBytes = 768 << 20, MaxPendingBytes = 4L << 30 }));
    }
}
