using System.Globalization;

namespace WriteBehindAkka.Soak;

/// <summary>The command line of the soak run.</summary>
internal sealed record SoakOptions
{
    public const string Usage =
        "Usage: dotnet run -c Release --project src/WriteBehindAkka.Soak -- [--minutes N | --seconds N] [--keys N] [--producers N] [--poison-every N] [--seed N] [--bulk N] [--read-every N] [--ttl-ms N] [--idle-ms N] [--parallelism N] [--update-every N] [--delete-every N]\n" +
        "  --minutes N       how long to run (default 5; fractions allowed)\n" +
        "  --seconds N       the same in seconds\n" +
        "  --keys N          distinct keys written (default 20000)\n" +
        "  --producers N     concurrent writers (default 4)\n" +
        "  --poison-every N  one write in N is refused by a CHECK constraint (default 500; 0 for none)\n" +
        "  --seed N          random seed of the writes and the fault schedule (default 1)\n" +
        "  --bulk N          each producer makes its writes up to N at a time with SetManyAsync (default 0: one SetAsync each)\n" +
        "  --read-every N    after one write (or bulk call) in N, read one of the producer's keys back and check it is the\n" +
        "                    latest write acknowledged for it (default 0: no reads)\n" +
        "  --ttl-ms N        the cache's TimeToLive in milliseconds (fractions allowed): clean entries expire and reads load them again (default 0: none)\n" +
        "  --idle-ms N       the cache's MaxIdle in milliseconds (fractions allowed): clean entries not read for that long are dropped and reads load them again (default 0: none)\n" +
        "  --parallelism N   the cache's writer lanes, 1 to 8 (default 2; the pool has 4 connections, so 4 lanes and reads contend for it)\n" +
        "  --update-every N  one write in N is an atomic UpdateAsync, whose function must be given the key's latest acknowledged\n" +
        "                    write (from memory, or loaded again after an eviction or its TimeToLive); not with --bulk (default 0: none)\n" +
        "  --delete-every N  one write in N deletes its key (DeleteAsync; with --update-every, one delete in 2 is a ComputeAsync\n" +
        "                    that deletes, checked as an update is): the key must end with no row, and read back as absent; not\n" +
        "                    with --bulk (default 0: none); --update-every then draws among the writes that are not deletes\n" +
        "It starts a throwaway PostgreSQL cluster (needs the server programs, as the tests do) and prints what it survived.";

    public TimeSpan Duration { get; init; } = TimeSpan.FromMinutes(5);

    public int Keys { get; init; } = 20_000;

    public int Producers { get; init; } = 4;

    public int PoisonEvery { get; init; } = 500;

    public int Seed { get; init; } = 1;

    /// <summary>The most writes a producer makes per SetManyAsync call; 0 for one SetAsync per write.</summary>
    public int Bulk { get; init; }

    /// <summary>One write (or bulk call) in this many is followed by a checked read of one of the producer's keys; 0 for none.</summary>
    public int ReadEvery { get; init; }

    /// <summary>The cache's TimeToLive in milliseconds (fractions allowed); 0 for none.</summary>
    public double TimeToLiveMs { get; init; }

    /// <summary>The cache's MaxIdle in milliseconds (fractions allowed); 0 for none.</summary>
    public double MaxIdleMs { get; init; }

    /// <summary>One write in this many is an UpdateAsync whose function checks what it is given; 0 for none.</summary>
    public int UpdateEvery { get; init; }

    /// <summary>One write in this many deletes its key; 0 for none.</summary>
    public int DeleteEvery { get; init; }

    /// <summary>The cache's Parallelism (its 8 shards bound it).</summary>
    public int Parallelism { get; init; } = 2;

    /// <summary>Parses the arguments; returns the options, or the problem to print (empty for --help).</summary>
    public static (SoakOptions? Options, string? Problem) Parse(string[] args)
    {
        var options = new SoakOptions();
        for (int i = 0; i < args.Length; i += 2)
        {
            string name = args[i];
            if (name is "--help" or "-h")
            {
                return (null, string.Empty);
            }

            if (name is not ("--minutes" or "--seconds" or "--keys" or "--producers" or "--poison-every" or "--seed" or "--bulk" or "--read-every" or "--ttl-ms" or "--idle-ms" or "--parallelism" or "--update-every" or "--delete-every"))
            {
                return (null, $"Unknown option '{name}'.");
            }

            if (i + 1 >= args.Length || !double.TryParse(args[i + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || value < 0 || value > int.MaxValue)
            {
                return (null, $"{name} needs a number from 0 to {int.MaxValue} after it.");
            }

            if (name is "--minutes" or "--seconds" && value == 0)
            {
                return (null, $"{name} must be more than 0: a soak of no time checks nothing.");
            }

            if (name is not ("--minutes" or "--seconds" or "--ttl-ms" or "--idle-ms") && value != Math.Floor(value))
            {
                return (null, $"{name} needs a whole number; {args[i + 1]} is not one.");
            }

            if (name is "--keys" or "--producers" && value < 1)
            {
                return (null, $"{name} must be at least 1.");
            }

            if (name is "--parallelism" && (value < 1 || value > 8 || value != Math.Floor(value)))
            {
                return (null, "--parallelism must be a whole number from 1 to 8 (the soak's cache has 8 shards).");
            }

            options = name switch
            {
                "--minutes" => options with { Duration = TimeSpan.FromMinutes(value) },
                "--seconds" => options with { Duration = TimeSpan.FromSeconds(value) },
                "--keys" => options with { Keys = (int)value },
                "--producers" => options with { Producers = (int)value },
                "--poison-every" => options with { PoisonEvery = (int)value },
                "--bulk" => options with { Bulk = (int)value },
                "--read-every" => options with { ReadEvery = (int)value },
                "--ttl-ms" => options with { TimeToLiveMs = value },
                "--idle-ms" => options with { MaxIdleMs = value },
                "--parallelism" => options with { Parallelism = (int)value },
                "--update-every" => options with { UpdateEvery = (int)value },
                "--delete-every" => options with { DeleteEvery = (int)value },
                _ => options with { Seed = (int)value },
            };
        }

        if (options.UpdateEvery > 0 && options.Bulk > 0)
        {
            return (null, "--update-every makes one write at a time an update; it does not go with --bulk.");
        }

        if (options.DeleteEvery > 0 && options.Bulk > 0)
        {
            return (null, "--delete-every makes one write at a time a delete; it does not go with --bulk.");
        }

        return options.Keys < options.Producers
            ? (null, $"--keys ({options.Keys}) must be at least --producers ({options.Producers}).")
            : (options, null);
    }
}
