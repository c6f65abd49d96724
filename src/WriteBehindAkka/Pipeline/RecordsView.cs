using System.Collections;
using WriteBehindAkka.Storage;

namespace WriteBehindAkka.Pipeline;

/// <summary>The records of a batch, read straight from its pipeline items (no copy: a copy put a second large array on the heap per batch).</summary>
/// <typeparam name="TKey">The key type.</typeparam>
internal sealed class RecordsView<TKey>(List<PipelineItem<TKey>> items) : IReadOnlyList<WriteRecord<TKey>>
    where TKey : notnull
{
    public int Count => items.Count;

    public WriteRecord<TKey> this[int index] => items[index].Record;

    public IEnumerator<WriteRecord<TKey>> GetEnumerator()
    {
        for (int i = 0; i < items.Count; i++)
        {
            yield return items[i].Record;
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
