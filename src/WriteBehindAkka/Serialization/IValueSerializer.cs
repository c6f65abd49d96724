namespace WriteBehindAkka.Serialization;

/// <summary>Turns cache values into the bytes that the cache holds and the store writes, and back.</summary>
/// <typeparam name="TValue">The cache's value type.</typeparam>
/// <remarks>
/// A value is serialized once, when it is written, on the caller's thread: the cache holds a snapshot,
/// so changing the object after <c>SetAsync</c> changes nothing, and the byte size is known for the
/// value-size limit and the pending-bytes bound. Reads deserialize a fresh object each time.
/// </remarks>
public interface IValueSerializer<TValue>
{
    /// <summary>The format of the bytes.</summary>
    SerializedFormat Format { get; }

    /// <summary>Serializes a value.</summary>
    /// <param name="value">The value.</param>
    /// <returns>
    /// The bytes, in a new array that the cache owns from then on: it may keep it, and later copy another value of
    /// the same length into it (that keeps a busy cache's collections cheap). Do not return an array you keep or reuse.
    /// </returns>
    byte[] Serialize(TValue value);

    /// <summary>Deserializes bytes produced by <see cref="Serialize"/> or loaded from the store.</summary>
    /// <param name="data">The bytes.</param>
    /// <returns>A new value.</returns>
    TValue Deserialize(ReadOnlySpan<byte> data);
}
