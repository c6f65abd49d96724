using WriteBehindAkka.Benchmarks.Measurement;

namespace WriteBehindAkka.Benchmarks.Tests.Measurement;

public class AckLedgerTests
{
    [Fact]
    public void Acknowledge_OlderAfterNewer_KeepsTheNewer()
    {
        var ledger = new AckLedger(10);

        ledger.Acknowledge(3, version: 20, stamp: 200);
        ledger.Acknowledge(3, version: 10, stamp: 100);

        Assert.Equal(20, ledger.VersionOf(3));
        Assert.Equal(200, ledger.StampOf(3));
        Assert.Equal(1, ledger.WrittenKeys());
    }

    [Fact]
    public async Task Acknowledge_ConcurrentWriters_KeepTheHighestVersionWithItsStamp()
    {
        var ledger = new AckLedger(4);

        await Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            for (long v = 1; v <= 50_000; v++)
            {
                ledger.Acknowledge(v % 4, (v * 4) + w, ((v * 4) + w) * 10);
            }
        })));

        for (long key = 0; key < 4; key++)
        {
            Assert.Equal(ledger.VersionOf(key) * 10, ledger.StampOf(key));
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Acknowledge_WithoutAPositiveVersion_ThrowsInsteadOfSkippingTheWrite(long version)
    {
        var ledger = new AckLedger(4);

        var error = Assert.Throws<InvalidOperationException>(() => ledger.Acknowledge(2, version, 7));

        Assert.Equal($"Key 2 was acknowledged at version {version}; every acknowledged write must carry a positive version.", error.Message);
    }
}
