using System.Buffers.Binary;

namespace WriteBehindAkka.Journal;

/// <summary>Reads a journal folder at start-up: every intact record, in order, and a report of what was not intact.</summary>
internal static class JournalReader
{
    public static JournalReadResult Read(string directory)
    {
        var records = new List<JournalRecord>();
        var problems = new List<string>();
        var replayable = new List<(long Number, long Bytes, long HighestVersion, string Path)>();
        var unused = new List<string>();
        long tornTail = 0, highest = 0;
        int corrupt = 0, skipped = 0;
        var files = Directory.Exists(directory) ? Directory.GetFiles(directory, JournalFormat.SegmentPattern) : [];
        foreach (var (number, path) in files
            .Select(path => JournalFormat.TryParseSegmentNumber(path, out long n) ? (n, path) : (-1, path))
            .Where(f => f.Item1 >= 0)
            .OrderBy(f => f.Item1))
        {
            highest = Math.Max(highest, number);
            byte[] data = File.ReadAllBytes(path);
            string name = Path.GetFileName(path);
            if (data.Length < JournalFormat.SegmentHeaderBytes)
            {
                if (data.Length > 0)
                {
                    tornTail += data.Length;
                    problems.Add($"{name}: only {data.Length} bytes, less than a segment header; treated as an empty segment cut short by a crash.");
                }

                replayable.Add((number, data.Length, 0, path));
                continue;
            }

            if (!data.AsSpan().ContainsAnyExcept((byte)0))
            {
                // Preallocated, then the process died before the header was written: it holds nothing.
                unused.Add(path);
                continue;
            }

            if (BinaryPrimitives.ReadUInt32LittleEndian(data) != JournalFormat.SegmentMagic)
            {
                skipped++;
                problems.Add($"{name}: the header is not a WriteBehindAkka journal segment header; the file was left in place and not replayed.");
                continue;
            }

            ushort version = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(4));
            if (version != JournalFormat.FormatVersion)
            {
                skipped++;
                problems.Add($"{name}: format version {version} is not this library's version {JournalFormat.FormatVersion} (written by a newer WriteBehindAkka?); the file was left in place and not replayed. Open the folder with that version, or move the file away.");
                continue;
            }

            if (data.Length > JournalFormat.SegmentHeaderBytes && !data.AsSpan(JournalFormat.SegmentHeaderBytes).ContainsAnyExcept((byte)0))
            {
                // Created ahead of time and never used: a valid header, then only zeros.
                unused.Add(path);
                continue;
            }

            long named = BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(8));
            if (named != number)
            {
                // Renamed, or copied in from another folder: its records are still records, and replayed.
                problems.Add($"{name}: its header names segment {named}, not {number} (the file was renamed or copied from another journal folder); its records were replayed.");
            }

            // Counted as what its records use, as a live journal counts the current segment: a segment that was current
            // when the process stopped keeps its preallocated size, and its zeros are not records (a crash loop would
            // otherwise bring the journal to MaxJournalBytes with a few records in it).
            int first = records.Count, corruptBefore = corrupt;
            long used = ScanRecords(data, name, records, problems, ref tornTail, ref corrupt);

            // The highest version of its records, which the highest-version mark must cover before it is deleted; a
            // damaged record's version is unknown (long.MaxValue: the journal takes the highest it knows of).
            long highestVersion = corrupt > corruptBefore ? long.MaxValue : 0;
            for (int i = first; i < records.Count; i++)
            {
                highestVersion = Math.Max(highestVersion, records[i].Version);
            }

            replayable.Add((number, used, highestVersion, path));
        }

        // Every segment read is replayable or skipped; unused spares are neither.
        int segments = replayable.Count + skipped;
        return new JournalReadResult(records, new JournalRecoveryReport(segments, records.Count, 0, tornTail, corrupt, skipped, problems), replayable, highest, unused);
    }

    /// <returns>The bytes the segment's header and records use (its length, less a preallocated zero tail).</returns>
    private static long ScanRecords(byte[] data, string name, List<JournalRecord> records, List<string> problems, ref long tornTail, ref int corrupt)
    {
        // A segment that was not sealed (the process stopped while it was current) keeps its preallocated size:
        // after its last record it holds zeros, which end it cleanly. A record may itself end in zero bytes, so
        // records are still read against the whole file; only what is left after them is judged by this end.
        int end = data.AsSpan().LastIndexOfAnyExcept((byte)0) + 1;
        bool zeroTail = end < data.Length;
        int position = JournalFormat.SegmentHeaderBytes;
        while (position < end)
        {
            var outcome = TryRecordAt(data, position, out var record, out int length);
            if (outcome == RecordOutcome.Intact)
            {
                records.Add(record);
                position += length;
                continue;
            }

            int next = FindNextRecord(data, position + 1, end);
            if (next < 0)
            {
                long rest = end - position;
                if (outcome == RecordOutcome.Incomplete || (zeroTail && CutShortWhileCopied(data, position, end)))
                {
                    // Cut short by a crash: the file ends inside it, or it was being copied in when the process died.
                    tornTail += rest;
                    problems.Add($"{name}: the last {rest} bytes (from offset {position}) hold an incomplete record, a write cut short by a crash; ignored.");
                }
                else
                {
                    corrupt++;
                    problems.Add($"{name}: {rest} damaged bytes from offset {position} to the end (bad checksum or lengths); skipped.");
                }

                return end;
            }

            corrupt++;
            problems.Add($"{name}: {next - position} damaged bytes from offset {position} (bad checksum or lengths); skipped, recovery resumed at offset {next}.");
            position = next;
        }

        // Past the non-zero bytes when the last record ends in zeros.
        return Math.Max(position, end);
    }

    /// <summary>
    /// Whether the damaged bytes from <paramref name="position"/> to <paramref name="end"/> (zeros after them) are
    /// one record whose write was cut short, rather than damage. The magic and length are written first and the
    /// checksum last, so a record being copied in when the process died has its header (or a part of it), a
    /// checksum still zero, and nothing beyond its own length. A power loss leaves another shape: the pages of a
    /// mapped file reach the disk in no set order, and a page that never did reads back as zeros, so the record's
    /// bytes are all zero from a page boundary on. Anything else (a flipped byte in a complete record, damage in
    /// the middle of an intact-looking tail) is reported as damage.
    /// </summary>
    private static bool CutShortWhileCopied(byte[] data, int position, int end)
    {
        if (end - position < JournalFormat.RecordHeaderBytes)
        {
            return end - position <= 8;
        }

        var header = data.AsSpan(position);
        int payloadLength = BinaryPrimitives.ReadInt32LittleEndian(header[4..]);
        long recordEnd = (long)position + JournalFormat.RecordHeaderBytes + payloadLength;
        if (BinaryPrimitives.ReadUInt32LittleEndian(header) != JournalFormat.RecordMagic
            || payloadLength < 0
            || payloadLength > JournalFormat.MaxPayloadBytes
            || recordEnd < end)
        {
            return false;
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(header[8..]) == 0)
        {
            return true;
        }

        long page = Environment.SystemPageSize;
        long firstZeroPage = (end + page - 1) / page * page;
        return firstZeroPage < recordEnd;
    }

    private static int FindNextRecord(byte[] data, int from, int end)
    {
        for (int i = from; i < end && i <= data.Length - JournalFormat.RecordHeaderBytes; i++)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(i)) == JournalFormat.RecordMagic
                && TryRecordAt(data, i, out _, out _) == RecordOutcome.Intact)
            {
                return i;
            }
        }

        return -1;
    }

    private static RecordOutcome TryRecordAt(byte[] data, int position, out JournalRecord record, out int length)
    {
        record = default;
        length = 0;
        if (data.Length - position < JournalFormat.RecordHeaderBytes)
        {
            return RecordOutcome.Incomplete;
        }

        var header = data.AsSpan(position);
        if (BinaryPrimitives.ReadUInt32LittleEndian(header) != JournalFormat.RecordMagic)
        {
            return RecordOutcome.Damaged;
        }

        int payloadLength = BinaryPrimitives.ReadInt32LittleEndian(header[4..]);
        if (payloadLength < 0 || payloadLength > JournalFormat.MaxPayloadBytes)
        {
            return RecordOutcome.Damaged;
        }

        if ((long)position + JournalFormat.RecordHeaderBytes + payloadLength > data.Length)
        {
            return RecordOutcome.Incomplete;
        }

        var payload = data.AsSpan(position + JournalFormat.RecordHeaderBytes, payloadLength);
        if (Crc32C.Compute(payload) != BinaryPrimitives.ReadUInt32LittleEndian(header[8..]) || !JournalFormat.TryReadPayload(payload, out record))
        {
            return RecordOutcome.Damaged;
        }

        length = JournalFormat.RecordHeaderBytes + payloadLength;
        return RecordOutcome.Intact;
    }

    private enum RecordOutcome
    {
        Intact,
        Incomplete,
        Damaged,
    }
}
