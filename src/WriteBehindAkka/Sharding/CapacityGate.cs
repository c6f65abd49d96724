namespace WriteBehindAkka.Sharding;

/// <summary>
/// Where writers wait while the cache is over its pending bound (<see cref="Options.OverflowStrategy.Backpressure"/>),
/// in arrival order. Whoever may have made room (a shard whose backlog shrank, the journal after a truncation, a
/// write that ends its admission) lets in waiters from the front, one at a time, while the bound leaves room for
/// them: one freed slot lets one waiter in, and the first to come is the first to go, so no writer waits on while
/// later ones get in. A waiter let in counts as admitted until its shard has handled its write (counted it in the
/// pending bound, or refused it), and every bound check includes the admitted writes.
/// </summary>
internal sealed class CapacityGate
{
    /// <summary>Guards the queue and the admitted counts, so that two writers cannot both take the last slot.</summary>
    private readonly Lock _admission = new();

    /// <summary>The writers waiting, first come first.</summary>
    private readonly LinkedList<Waiter> _queue = new();

    /// <summary>How many writers are waiting (the queue's length, readable without the lock).</summary>
    private int _waiters;

    /// <summary>Writes let through whose shard has not handled them yet.</summary>
    private long _admittedEntries;

    /// <summary>The payload bytes of <see cref="_admittedEntries"/>.</summary>
    private long _admittedBytes;

    /// <summary>Gets the writes admitted whose shard has not handled them yet: every bound check counts them, the fast path's too.</summary>
    public long AdmittedEntries => Volatile.Read(ref _admittedEntries);

    /// <summary>Gets the payload bytes of <see cref="AdmittedEntries"/>.</summary>
    public long AdmittedBytes => Volatile.Read(ref _admittedBytes);

    public bool HasWaiters => Volatile.Read(ref _waiters) > 0;

    /// <summary>
    /// Waits until this write of <paramref name="bytes"/> reaches the front of the queue and <paramref name="isOverBound"/>,
    /// given the writes already admitted (entries, bytes), is false, and admits it; it must be <see cref="Release"/>d
    /// once its shard has handled it, or when it failed to reach the shard. A cancellation that comes after the
    /// admission is too late: the write is admitted.
    /// </summary>
    public async ValueTask WaitAsync(Func<long, long, bool> isOverBound, int bytes, CancellationToken cancellationToken) =>
        await WaitAsync(isOverBound, bytes, post: null, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Waits as <see cref="WaitAsync(Func{long, long, bool}, int, CancellationToken)"/> does, and, as the write is
    /// admitted, calls <paramref name="post"/> (under the gate's lock) to hand it to its shard; returns the post's task.
    /// The writes let in thus reach their mailboxes in the order they came, and ahead of any write made after they were
    /// let in: posted later, on the waiter's thread, a write of a caller who did not await it could be overtaken by the
    /// same caller's next write of the key, which found room and went straight in, and the older value would win.
    /// </summary>
    /// <param name="isOverBound">The bound, given the writes already admitted (entries, bytes).</param>
    /// <param name="bytes">The write's payload bytes.</param>
    /// <param name="post">
    /// Hands the write to its shard's mailbox: it must not block or call back into the gate (a post that waits for room
    /// in a full mailbox returns a pending task). <see langword="null"/> for none (the task returned is then completed).
    /// </param>
    /// <param name="cancellationToken">Cancels the wait for admission.</param>
    public async ValueTask<Task> WaitAsync(Func<long, long, bool> isOverBound, int bytes, Func<Task>? post, CancellationToken cancellationToken)
    {
        Waiter waiter;
        lock (_admission)
        {
            if (_queue.Count == 0 && !isOverBound(_admittedEntries, _admittedBytes))
            {
                Admit(bytes);
                return Post(post);
            }

            waiter = new Waiter(isOverBound, bytes, post);
            waiter.Node = _queue.AddLast(waiter);
            Volatile.Write(ref _waiters, _queue.Count);
        }

        // Room may have come between the check above and the queueing, from a shard that saw no waiter then: look
        // again now that this one is counted (whoever frees room after this point sees it).
        Open();
        try
        {
            await waiter.Admitted.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            lock (_admission)
            {
                if (waiter.Node.List is null)
                {
                    return waiter.Posted!; // admitted meanwhile: the write goes on
                }

                _queue.Remove(waiter.Node);
                Volatile.Write(ref _waiters, _queue.Count);
            }

            // It may have been the front one, holding back a smaller write that fits.
            Open();
            throw;
        }

        return waiter.Posted!;
    }

    /// <summary>Runs a waiter's post (under the gate's lock); a post that throws gives a faulted task.</summary>
    private static Task Post(Func<Task>? post)
    {
        if (post is null)
        {
            return Task.CompletedTask;
        }

        try
        {
            return post();
        }
        catch (Exception error)
        {
            return Task.FromException(error);
        }
    }

    /// <summary>
    /// Ends an admission, and lets waiters in if that left room: a write that added nothing to the pending bound (it
    /// did not reach its shard, the journal refused it, it coalesced into a pending key) must not leave a waiter held
    /// back only by its admission asleep until some commit.
    /// </summary>
    public void Release(int bytes)
    {
        lock (_admission)
        {
            _admittedEntries--;
            _admittedBytes -= bytes;
        }

        if (HasWaiters)
        {
            Open();
        }
    }

    /// <summary>Lets waiters in from the front while the bound leaves room for them (each checked with its own bound, which at a stop is never over).</summary>
    public void Open()
    {
        List<Waiter>? admitted = null;
        lock (_admission)
        {
            while (_queue.First is { } first && !first.Value.IsOverBound(_admittedEntries, _admittedBytes))
            {
                _queue.RemoveFirst();
                Admit(first.Value.Bytes);
                first.Value.Posted = Post(first.Value.PostWrite);
                (admitted ??= []).Add(first.Value);
            }

            Volatile.Write(ref _waiters, _queue.Count);
        }

        if (admitted is not null)
        {
            foreach (var waiter in admitted)
            {
                waiter.Admitted.TrySetResult();
            }
        }
    }

    private void Admit(int bytes)
    {
        _admittedEntries++;
        _admittedBytes += bytes;
    }

    /// <summary>A writer in the queue: its bound check, its payload's bytes, its post, and the task its admission completes.</summary>
    private sealed class Waiter(Func<long, long, bool> isOverBound, int bytes, Func<Task>? post)
    {
        public Func<long, long, bool> IsOverBound { get; } = isOverBound;

        public int Bytes { get; } = bytes;

        /// <summary>Hands the write to its shard, called as it is admitted (see <see cref="WaitAsync(Func{long, long, bool}, int, Func{Task}?, CancellationToken)"/>).</summary>
        public Func<Task>? PostWrite { get; } = post;

        /// <summary>The task of <see cref="PostWrite"/>, set (under the gate's lock) when the waiter is admitted.</summary>
        public Task? Posted { get; set; }

        public TaskCompletionSource Admitted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public LinkedListNode<Waiter> Node { get; set; } = null!;
    }
}
