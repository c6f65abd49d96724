namespace WriteBehindAkka.Sharding;

/// <summary>
/// One holder per key at a time, asynchronously: operator actions on a key's dead letter (retry, discard) run one
/// after the other, so each sees the other's result. A key's gate exists only while someone holds or waits for it.
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
internal sealed class KeyedGate<TKey>
    where TKey : notnull
{
    private readonly Dictionary<TKey, (SemaphoreSlim Gate, int Users)> _gates = [];

    /// <summary>Waits until the key is free and takes it; dispose the result to let the next one in.</summary>
    public async ValueTask<IDisposable> EnterAsync(TKey key, CancellationToken cancellationToken)
    {
        SemaphoreSlim gate;
        lock (_gates)
        {
            var (existing, users) = _gates.GetValueOrDefault(key);
            gate = existing ?? new SemaphoreSlim(1, 1);
            _gates[key] = (gate, users + 1);
        }

        try
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Leave(key);
            throw;
        }

        return new Held(this, key, gate);
    }

    private void Leave(TKey key)
    {
        lock (_gates)
        {
            var (gate, users) = _gates[key];
            if (users <= 1)
            {
                _gates.Remove(key);
            }
            else
            {
                _gates[key] = (gate, users - 1);
            }
        }
    }

    private sealed class Held(KeyedGate<TKey> owner, TKey key, SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
                owner.Leave(key);
            }
        }
    }
}
