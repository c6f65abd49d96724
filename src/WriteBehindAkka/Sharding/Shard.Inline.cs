namespace WriteBehindAkka.Sharding;

/// <content>
/// Inline handling: a caller that finds the shard idle handles its own write or cached read on its thread, under
/// the shard's lock, instead of queueing a message and waiting for the loop. "Idle" means the lock is free and no
/// message sent earlier is still unhandled, so a caller's messages are still handled in the order it sent them
/// (a Tell queued behind a busy shard is never overtaken by the same caller's next write). When the shard is
/// busy the caller queues as before; nothing waits for the lock.
/// </content>
internal sealed partial class Shard<TKey>
{
    /// <summary>
    /// Runs a Set or Delete on the caller's thread if the shard is idle. With a <paramref name="reply"/>, the
    /// Ask is answered as a queued write would be (by the journal, at commit, or at once). Without one the write
    /// is applied when this returns true, at <paramref name="version"/>; with the journal it is acknowledged only
    /// once the caller has made its record durable enough: <paramref name="journalPosition"/> is where the record
    /// ends (0: no journal), for <see cref="Journal.WriteAheadJournal.EnsureWritten"/> once the lock is released.
    /// </summary>
    /// <returns>False when the shard is busy or stopped: queue the write instead.</returns>
    public bool TryWriteInline(CommandKind kind, TKey key, byte[]? value, WriteConsistency consistency, TaskCompletionSource<WriteResult>? reply, out long version, out long journalPosition)
    {
        version = 0;
        journalPosition = 0;
        if (!TryEnterIdle())
        {
            return false;
        }

        try
        {
            version = Write(kind, key, value, consistency, reply, out journalPosition);
            Emit();
            return true;
        }
        catch (Exception error)
        {
            // As on the loop: the write fails, the shard keeps its state and carries on.
            Restarted(error, kind.ToString());
            if (reply is null)
            {
                throw;
            }

            reply.TrySetException(error);
            return true;
        }
        finally
        {
            _lock.Exit();
        }
    }

    /// <summary>
    /// Answers a read on the caller's thread if the shard is idle and the answer needs no load: the key is
    /// cached, or read-through is off.
    /// </summary>
    /// <returns>False when the shard is busy or stopped, or the key must be loaded: queue the read instead.</returns>
    public bool TryGetInline(TKey key, out byte[]? value)
    {
        value = null;
        if (!TryEnterIdle())
        {
            return false;
        }

        try
        {
            if (_entries.TryGetValue(key, out var entry))
            {
                if (TakeRead(entry))
                {
                    value = ShareValue(entry);
                    return true;
                }

                DropClean(entry, _expiredTags); // outlived its time to live: read as a miss
            }

            return !_ctx.Options.ReadThrough;
        }
        finally
        {
            _lock.Exit();
        }
    }

    /// <summary>
    /// Takes the lock if the shard is idle: nothing queued (checked before and again under the lock, since a
    /// message may arrive in between) and the loop not ended. True: the caller holds the lock and must exit it.
    /// </summary>
    private bool TryEnterIdle()
    {
        if (Volatile.Read(ref _queued) != 0 || !_lock.TryEnter())
        {
            return false;
        }

        if (_closed || _sealed || Volatile.Read(ref _queued) != 0)
        {
            _lock.Exit();
            return false;
        }

        return true;
    }
}
