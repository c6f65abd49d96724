using WriteBehindAkka.Benchmarks.Workloads;

namespace WriteBehindAkka.Benchmarks.Tests.Workloads;

public class ZipfSamplerTests
{
    [Fact]
    public void Probability_Ranks_FollowThePowerLawAndSumToOne()
    {
        var zipf = new ZipfSampler(1000, 0.99);

        double total = Enumerable.Range(0, 1000).Sum(zipf.Probability);

        Assert.Equal(1.0, total, 9);
        Assert.Equal(Math.Pow(2, 0.99), zipf.Probability(0) / zipf.Probability(1), 9);
        Assert.Equal(Math.Pow(10, 0.99), zipf.Probability(0) / zipf.Probability(9), 9);
    }

    [Fact]
    public void Next_ManyDraws_FrequenciesMatchTheProbabilities()
    {
        var zipf = new ZipfSampler(100_000, 0.99);
        var random = new FastRandom(42);
        const int Draws = 1_000_000;
        var counts = new int[100_000];
        for (int i = 0; i < Draws; i++)
        {
            counts[zipf.Next(random)]++;
        }

        foreach (int rank in new[] { 0, 1, 2, 9, 99 })
        {
            double expected = zipf.Probability(rank) * Draws;
            // Five standard deviations of a binomial count.
            double tolerance = 5 * Math.Sqrt(expected);
            Assert.InRange(counts[rank], expected - tolerance, expected + tolerance);
        }

        double top100 = counts.Take(100).Sum() / (double)Draws;
        double expectedTop100 = Enumerable.Range(0, 100).Sum(zipf.Probability);
        Assert.Equal(expectedTop100, top100, 2);
    }

    [Fact]
    public void Sample_Extremes_ReturnFirstAndLastRank()
    {
        var zipf = new ZipfSampler(10, 1.0);

        Assert.Equal(0, zipf.Sample(0.0));
        Assert.Equal(9, zipf.Sample(0.9999999999));
        Assert.Equal(1, zipf.Sample(zipf.Probability(0)));
    }

    [Fact]
    public void Next_ExponentZero_IsUniform()
    {
        var zipf = new ZipfSampler(4, 0);

        Assert.All(Enumerable.Range(0, 4), rank => Assert.Equal(0.25, zipf.Probability(rank), 12));
    }
}
