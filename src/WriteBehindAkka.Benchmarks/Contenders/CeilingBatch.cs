using WriteBehindAkka.Benchmarks.Workloads;
using WriteBehindAkka.Storage;

namespace WriteBehindAkka.Benchmarks.Contenders;

/// <summary>
/// One ceiling writer's next batch, drawn from the workload's own key stream: only the writer's share of the keys
/// (key mod writers), reads skipped. With <c>distinct</c>, a key drawn twice keeps its latest write (an upsert
/// batch cannot hold a key twice), so the batch holds up to <c>size</c> distinct keys.
/// </summary>
internal sealed class CeilingBatch
{
    /// <summary>At most this many draws per row wanted, so a skewed stream with few keys in a share still ends a batch.</summary>
    private const int MaxDrawsPerRow = 20;

    private readonly KeyStream _stream;
    private readonly int _writer;
    private readonly int _writers;
    private readonly int _size;
    private readonly bool _distinct;
    private readonly int _valueBytes;
    private readonly byte[] _values;
    private readonly Dictionary<long, int> _slots;
    private long _sequence;

    public CeilingBatch(KeyStream stream, int writer, int writers, int size, int valueBytes, bool distinct)
    {
        _stream = stream;
        _writer = writer;
        _writers = writers;
        _size = size;
        _distinct = distinct;
        _valueBytes = Math.Max(8, valueBytes);
        _values = ValueStamp.NewBuffer(_valueBytes * size, stream.Random);
        _slots = new Dictionary<long, int>(distinct ? size : 0);
        Records = new List<WriteRecord<long>>(size);
    }

    /// <summary>The most value bytes in one ceiling batch: big values get fewer rows, so that a batch still commits within a run.</summary>
    public const int MaxBatchBytes = 8 << 20;

    /// <summary>The rows per batch for a value size: <paramref name="rows"/>, or fewer so that the values fit in <see cref="MaxBatchBytes"/>.</summary>
    public static int RowsFor(int rows, int valueBytes) => Math.Max(1, Math.Min(rows, MaxBatchBytes / Math.Max(1, valueBytes)));

    /// <summary>The batch's records (reused by the next <see cref="Fill"/>; write it before filling again).</summary>
    public List<WriteRecord<long>> Records { get; }

    /// <summary>Writes drawn into the batch (at least the record count; more when keys repeated).</summary>
    public long Draws { get; private set; }

    /// <summary>Fills the batch; versions come from <paramref name="clock"/>.</summary>
    public void Fill(ref long clock, int worker)
    {
        Records.Clear();
        _slots.Clear();
        Draws = 0;
        long limit = (long)_size * MaxDrawsPerRow;
        for (long attempt = 0; Records.Count < _size && attempt < limit * _writers; attempt++)
        {
            long key = _stream.NextKey();
            if (_stream.NextIsRead() || key % _writers != _writer)
            {
                continue;
            }

            Draws++;
            long version = Interlocked.Increment(ref clock);
            long stamp = ValueStamp.Make(worker, ++_sequence);
            if (_distinct && _slots.TryGetValue(key, out int slot))
            {
                ValueStamp.Write(_values.AsSpan(slot * _valueBytes), stamp);
                Records[slot] = Records[slot] with { Version = version };
                continue;
            }

            slot = Records.Count;
            ValueStamp.Write(_values.AsSpan(slot * _valueBytes), stamp);
            Records.Add(new WriteRecord<long>(key, WriteOperation.Upsert, _values.AsMemory(slot * _valueBytes, _valueBytes), version));
            if (_distinct)
            {
                _slots[key] = slot;
            }
        }
    }
}
