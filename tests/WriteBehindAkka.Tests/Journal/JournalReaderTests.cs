using WriteBehindAkka.Journal;
using WriteBehindAkka.Storage;

namespace WriteBehindAkka.Tests.Journal;

/// <summary>The reader's judgement of a segment's last record, on segments written byte by byte.</summary>
public sealed class JournalReaderTests : JournalTestBase
{
    /// <summary>
    /// A current segment (preallocated, zeros after its records) whose last record starts before a page boundary
    /// and ends after it; <paramref name="damage"/> changes the bytes. Returns the folder and where that record starts.
    /// </summary>
    private (string Folder, int LastRecord, int Before) SegmentAcrossAPage(string name, Action<byte[], int> damage)
    {
        int page = Environment.SystemPageSize;
        var bytes = new byte[3 * page];
        JournalFormat.SegmentHeader(1).CopyTo(bytes, 0);
        var value = Enumerable.Repeat((byte)'x', 100).ToArray();
        int position = JournalFormat.SegmentHeaderBytes, records = 0;
        while (true)
        {
            var key = System.Text.Encoding.UTF8.GetBytes("k" + records);
            int length = JournalFormat.RecordLength(key.Length, value.Length);
            JournalFormat.WriteRecord(bytes.AsSpan(position, length), WriteOperation.Upsert, records + 1, key, value);
            if (position + length > page)
            {
                damage(bytes, position);
                var folder = Folder(name);
                Directory.CreateDirectory(folder);
                File.WriteAllBytes(Path.Combine(folder, JournalFormat.SegmentName(1)), bytes);
                return (folder, position, records);
            }

            position += length;
            records++;
        }
    }

    [Fact]
    public void LastRecord_WhosePageAfterABoundaryNeverReachedTheDisk_IsATornWrite()
    {
        // A power loss: the record's first page reached the disk, the next one did not and reads back as zeros.
        int page = Environment.SystemPageSize;
        var (folder, last, before) = SegmentAcrossAPage("power-loss", (bytes, _) => bytes.AsSpan(page).Clear());

        var report = JournalReader.Read(folder).Report;

        Assert.Equal((before, 0, page - (long)last), (report.Records, report.CorruptRegions, report.TornTailBytes));
        Assert.Contains("hold an incomplete record, a write cut short by a crash; ignored.", Assert.Single(report.Problems));
    }

    [Fact]
    public void LastRecord_WithAFlippedByteAndEveryPageThere_IsDamage()
    {
        var (folder, last, before) = SegmentAcrossAPage("flipped", (bytes, at) => bytes[at + JournalFormat.RecordHeaderBytes + 20] ^= 0x01);

        var report = JournalReader.Read(folder).Report;

        Assert.Equal((before, 1, 0L), (report.Records, report.CorruptRegions, report.TornTailBytes));
        Assert.EndsWith("damaged bytes from offset " + last + " to the end (bad checksum or lengths); skipped.", Assert.Single(report.Problems));
    }
}
