namespace WriteBehindAkka.Options;

/// <summary>Checks a <see cref="WriteBehindOptions"/> once, at cache creation, and reports every problem in one exception.</summary>
public static class OptionsValidator
{
    /// <summary>The longest duration an option that sets a timer takes: a timer's limit (about 49.7 days), rounded down.</summary>
    public static readonly TimeSpan MaxTimerDuration = TimeSpan.FromDays(49);

    /// <summary>The largest value the journal takes: a record's payload is at most 256 MiB, with 1 MiB left for the key and the record's fields.</summary>
    public const long MaxJournaledValueBytes = Journal.JournalFormat.MaxPayloadBytes - (1024 * 1024);

    /// <summary>
    /// The most bytes of values one batch may hold: PostgreSQL takes at most 1 GiB in one protocol message and a batch
    /// goes as one (a larger one fails with 08P01, which reads as transient, so it would be retried for ever); the
    /// rest of the gigabyte is left to the keys, versions and framing.
    /// </summary>
    public const long MaxBatchBytesLimit = 768L * 1024 * 1024;

    /// <summary>The largest <see cref="Journal.JournalOptions.SegmentBytes"/> allowed: 1 GiB.</summary>
    public const long MaxSegmentBytes = 1024L * 1024 * 1024;

    /// <summary>Lists every problem with the options; empty when they are valid.</summary>
    /// <param name="options">The options.</param>
    /// <returns>One sentence per problem, each naming the option and the fix.</returns>
    public static IReadOnlyList<string> Validate(WriteBehindOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        void Positive(string name, long value)
        {
            if (value <= 0)
            {
                problems.Add($"{name} is {value}; it must be greater than zero.");
            }
        }

        Positive(nameof(options.ShardCount), options.ShardCount);
        Positive(nameof(options.MailboxCapacity), options.MailboxCapacity);
        Positive(nameof(options.MaxBatchSize), options.MaxBatchSize);
        Positive(nameof(options.MaxBatchBytes), options.MaxBatchBytes);
        Positive(nameof(options.Parallelism), options.Parallelism);
        Positive(nameof(options.PipelineBufferSize), options.PipelineBufferSize);
        Positive(nameof(options.MaxPendingEntries), options.MaxPendingEntries);
        Positive(nameof(options.MaxPendingBytes), options.MaxPendingBytes);
        Positive(nameof(options.MaxValueBytes), options.MaxValueBytes);
        if (options.ShardCount > 0 && options.Parallelism > options.ShardCount)
        {
            problems.Add($"Parallelism is {options.Parallelism} but ShardCount is {options.ShardCount}; each writer owns at least one shard, so set Parallelism to at most ShardCount.");
        }

        if (options.MaxBatchBytes > MaxBatchBytesLimit)
        {
            problems.Add($"MaxBatchBytes ({options.MaxBatchBytes}) is larger than {MaxBatchBytesLimit} bytes (768 MiB): a batch goes to the database as one message, and PostgreSQL takes at most 1 GiB in one. Lower MaxBatchBytes.");
        }

        if (options.MaxValueBytes > MaxBatchBytesLimit)
        {
            problems.Add($"MaxValueBytes ({options.MaxValueBytes}) is larger than {MaxBatchBytesLimit} bytes (768 MiB): a value goes to the database in one message (in a batch of its own when larger than MaxBatchBytes), and PostgreSQL takes at most 1 GiB in one. Lower MaxValueBytes.");
        }

        if (options.MaxValueBytes > 0 && options.MaxPendingBytes > 0 && options.MaxValueBytes > options.MaxPendingBytes)
        {
            problems.Add($"MaxValueBytes ({options.MaxValueBytes}) is larger than MaxPendingBytes ({options.MaxPendingBytes}); one value could never be accepted. Raise MaxPendingBytes or lower MaxValueBytes.");
        }

        if (options.MaxBatchDelay <= TimeSpan.Zero)
        {
            problems.Add($"MaxBatchDelay is {options.MaxBatchDelay}; it must be greater than zero.");
        }

        if (options.WriteDelay < TimeSpan.Zero)
        {
            problems.Add($"WriteDelay is {options.WriteDelay}; it must be zero or more.");
        }

        if (options.MaxCachedEntries < 0)
        {
            problems.Add($"MaxCachedEntries is {options.MaxCachedEntries}; use 0 for no bound or a positive count.");
        }

        if (options.TimeToLive < TimeSpan.Zero)
        {
            problems.Add($"TimeToLive is {options.TimeToLive}; use 0 for no expiry or a positive duration.");
        }

        if (options.MaxIdle < TimeSpan.Zero)
        {
            problems.Add($"MaxIdle is {options.MaxIdle}; use 0 for no idle expiry or a positive duration.");
        }

        if (options.ShutdownTimeout < TimeSpan.Zero)
        {
            problems.Add($"ShutdownTimeout is {options.ShutdownTimeout}; it must be zero or more.");
        }

        CheckTimerDuration("MaxBatchDelay", options.MaxBatchDelay, problems);
        CheckTimerDuration("WriteDelay", options.WriteDelay, problems);
        CheckTimerDuration("TimeToLive", options.TimeToLive, problems);
        CheckTimerDuration("MaxIdle", options.MaxIdle, problems);
        CheckTimerDuration("ShutdownTimeout", options.ShutdownTimeout, problems);

        if (!Enum.IsDefined(options.OverflowStrategy))
        {
            problems.Add($"OverflowStrategy is {(int)options.OverflowStrategy}; use Backpressure or Fail.");
        }

        ValidateRestart(options.Restart, problems);
        ValidateJournal(options.Journal, problems);
        if (options.Journal is not null && options.MaxValueBytes > MaxJournaledValueBytes)
        {
            problems.Add($"MaxValueBytes ({options.MaxValueBytes}) is larger than the journal can store in one record ({MaxJournaledValueBytes} bytes, 255 MiB); lower MaxValueBytes or turn the journal off.");
        }
        return problems;
    }

    /// <summary>Throws one <see cref="ArgumentException"/> listing every problem, if there are any.</summary>
    /// <param name="options">The options.</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public static void ThrowIfInvalid(WriteBehindOptions options)
    {
        var problems = Validate(options);
        if (problems.Count > 0)
        {
            throw new ArgumentException(
                "Invalid write-behind cache options:" + Environment.NewLine + "- " + string.Join(Environment.NewLine + "- ", problems),
                nameof(options));
        }
    }

    private static void ValidateJournal(Journal.JournalOptions? journal, List<string> problems)
    {
        if (journal is null)
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(journal.Directory))
        {
            problems.Add("Journal.Directory is empty; name a folder of its own for this cache's journal.");
        }
        else if (journal.Directory.Contains('\0', StringComparison.Ordinal))
        {
            problems.Add("Journal.Directory contains a NUL character, which no path can hold.");
        }

        if (!Enum.IsDefined(journal.FsyncPolicy))
        {
            problems.Add($"Journal.FsyncPolicy is {(int)journal.FsyncPolicy}; use Always, EverySecond or No.");
        }

        if (journal.FsyncInterval <= TimeSpan.Zero)
        {
            problems.Add($"Journal.FsyncInterval is {journal.FsyncInterval}; it must be greater than zero.");
        }

        CheckTimerDuration("Journal.FsyncInterval", journal.FsyncInterval, problems);

        if (journal.SegmentBytes < 4096)
        {
            problems.Add($"Journal.SegmentBytes is {journal.SegmentBytes}; it must be at least 4096.");
        }

        if (journal.SegmentBytes > MaxSegmentBytes)
        {
            problems.Add($"Journal.SegmentBytes is {journal.SegmentBytes}; it must be at most {MaxSegmentBytes} (1 GiB): each segment is preallocated, mapped and read whole at start-up.");
        }

        if (journal.MaxJournalBytes < 2 * journal.SegmentBytes)
        {
            problems.Add($"Journal.MaxJournalBytes ({journal.MaxJournalBytes}) is less than two segments ({2 * journal.SegmentBytes} bytes); raise it or lower Journal.SegmentBytes.");
        }
    }

    /// <summary>Refuses a duration a timer cannot take, which would otherwise fail only when the timer is first set.</summary>
    private static void CheckTimerDuration(string name, TimeSpan value, List<string> problems)
    {
        if (value > MaxTimerDuration)
        {
            problems.Add($"{name} is {value}; it must be at most {MaxTimerDuration.TotalDays} days (a timer's limit).");
        }
    }

    private static void ValidateRestart(RestartSettings? restart, List<string> problems)
    {
        if (restart is null)
        {
            problems.Add("Restart is null; leave it unset for the defaults.");
            return;
        }

        if (restart.MinBackoff <= TimeSpan.Zero)
        {
            problems.Add($"Restart.MinBackoff is {restart.MinBackoff}; it must be greater than zero.");
        }

        if (restart.MaxBackoff < restart.MinBackoff)
        {
            problems.Add($"Restart.MaxBackoff ({restart.MaxBackoff}) is less than Restart.MinBackoff ({restart.MinBackoff}).");
        }

        CheckTimerDuration("Restart.MaxBackoff", restart.MaxBackoff, problems); // its jitter is clamped to the limit

        if (restart.RandomFactor is < 0 or > 1 || double.IsNaN(restart.RandomFactor))
        {
            problems.Add($"Restart.RandomFactor is {restart.RandomFactor}; it must be between 0 and 1.");
        }

        if (restart.MaxRestarts < -1)
        {
            problems.Add($"Restart.MaxRestarts is {restart.MaxRestarts}; use -1 for unlimited or a count of 0 or more.");
        }

        if (restart.MaxRestartsWithin <= TimeSpan.Zero)
        {
            problems.Add($"Restart.MaxRestartsWithin is {restart.MaxRestartsWithin}; it must be greater than zero.");
        }
    }
}
