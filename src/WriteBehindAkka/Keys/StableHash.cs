using System.Runtime.InteropServices;

namespace WriteBehindAkka.Keys;

/// <summary>
/// Stable hash functions: FNV-1a over bytes, finished with a 64-bit avalanche mix (the SplitMix64
/// finalizer) so that neighbouring keys spread over the whole range.
/// </summary>
public static class StableHash
{
    private const ulong FnvOffset = 14695981039346656037UL;
    private const ulong FnvPrime = 1099511628211UL;

    /// <summary>Mixes a 64-bit value so that every input bit affects every output bit.</summary>
    /// <param name="x">The value.</param>
    /// <returns>The mixed value.</returns>
    public static ulong Mix(ulong x)
    {
        x ^= x >> 30;
        x *= 0xBF58476D1CE4E5B9UL;
        x ^= x >> 27;
        x *= 0x94D049BB133111EBUL;
        x ^= x >> 31;
        return x;
    }

    /// <summary>Hashes bytes.</summary>
    /// <param name="data">The bytes.</param>
    /// <returns>The hash.</returns>
    public static ulong Hash(ReadOnlySpan<byte> data)
    {
        ulong h = FnvOffset;
        foreach (byte b in data)
        {
            h = (h ^ b) * FnvPrime;
        }

        return Mix(h ^ (ulong)data.Length);
    }

    /// <summary>Hashes a string by its UTF-16 code units (stable: independent of process and culture).</summary>
    /// <param name="text">The string.</param>
    /// <returns>The hash.</returns>
    public static ulong Hash(string text) => Hash(MemoryMarshal.AsBytes(text.AsSpan()));
}
