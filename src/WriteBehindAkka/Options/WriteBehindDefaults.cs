namespace WriteBehindAkka.Options;

/// <summary>The defaults of <see cref="WriteBehindOptions"/>, in one place.</summary>
internal static class WriteBehindDefaults
{
    public static int ShardCount => Math.Max(2, Environment.ProcessorCount);
    public const int MailboxCapacity = 4096;
    public const int MaxBatchSize = 10000;
    public const long MaxBatchBytes = 8L * 1024 * 1024;
    public static readonly TimeSpan MaxBatchDelay = TimeSpan.FromMilliseconds(50);
    public const int Parallelism = 4;
    public const int PipelineBufferSize = 4096;
    public static readonly TimeSpan WriteDelay = TimeSpan.Zero;
    public const long MaxPendingEntries = 1_000_000;
    public const long MaxPendingBytes = 256L * 1024 * 1024;
    public const int MaxValueBytes = 1024 * 1024;
    public const int MaxCachedEntries = 0;
    public const bool ReadThrough = true;
    public static readonly TimeSpan TimeToLive = TimeSpan.Zero;

    /// <summary>No idle expiry.</summary>
    public static readonly TimeSpan MaxIdle = TimeSpan.Zero;
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(30);
}
