using WriteBehindAkka.Journal;

namespace WriteBehindAkka.Tests.Journal;

public sealed class JournalWaitersTests
{
    private static JournalWaiter Waiter(long position) => new(position, new TaskCompletionSource<WriteResult>(), position * 10);

    [Fact]
    public void TakeUpTo_AcrossGrowthAndWrapAround_TakesInOrderUpToThePosition()
    {
        var waiters = new JournalWaiters();
        var taken = new List<JournalWaiter>();
        long next = 1;
        // Interleave adds and takes so the ring wraps, then grows past its first size while wrapped.
        for (int round = 0; round < 5; round++)
        {
            for (int i = 0; i < 50; i++)
            {
                waiters.Enqueue(Waiter(next++));
            }

            waiters.TakeUpTo(next - 11, taken);
        }

        for (int i = 0; i < 200; i++)
        {
            waiters.Enqueue(Waiter(next++));
        }

        waiters.TakeUpTo(long.MaxValue, taken);

        Assert.Equal(Enumerable.Range(1, 450).Select(i => (long)i), taken.Select(w => w.Position));
        Assert.Equal(0, waiters.Count);
    }

    [Fact]
    public void MarkFailed_OnlyTheRange_IsMarked()
    {
        var waiters = new JournalWaiters();
        var taken = new List<JournalWaiter>();
        for (long p = 1; p <= 6; p++)
        {
            waiters.Enqueue(Waiter(p));
        }

        var error = new IOException("disk full");
        waiters.MarkFailed(from: 2, to: 4, error);
        waiters.TakeUpTo(6, taken);

        Assert.Equal([null, null, error, error, null, null], taken.Select(w => w.Error));
    }
}
