using System.Diagnostics.CodeAnalysis;
using WriteBehindAkka.Hocon.Units;

namespace WriteBehindAkka.Hocon;

/// <summary>
/// Reads HOCON durations such as <c>200ms</c>, <c>5 s</c>, <c>1 minute</c>, <c>2 hours</c>, <c>10us</c> or
/// <c>1d</c>. Units are case-sensitive: <c>ns</c>, <c>us</c>, <c>ms</c>, <c>s</c>, <c>m</c>, <c>h</c>,
/// <c>d</c> and the spelled-out <c>nanosecond(s)</c>, <c>microsecond(s)</c>, <c>millisecond(s)</c>,
/// <c>second(s)</c>, <c>minute(s)</c>, <c>hour(s)</c>, <c>day(s)</c>; also <c>nano(s)</c>, <c>micro(s)</c>
/// and <c>milli(s)</c>. A bare number is milliseconds. <see cref="TimeSpan"/> counts 100 ns ticks, so values
/// are rounded to the nearest tick (half away from zero).
/// </summary>
public static class HoconDuration
{
    private const decimal TicksPerNanosecond = 0.01m;

    private static readonly Dictionary<string, decimal> TicksPerUnit = new(StringComparer.Ordinal)
    {
        ["ns"] = TicksPerNanosecond,
        ["nano"] = TicksPerNanosecond,
        ["nanos"] = TicksPerNanosecond,
        ["nanosecond"] = TicksPerNanosecond,
        ["nanoseconds"] = TicksPerNanosecond,
        ["us"] = TimeSpan.TicksPerMicrosecond,
        ["micro"] = TimeSpan.TicksPerMicrosecond,
        ["micros"] = TimeSpan.TicksPerMicrosecond,
        ["microsecond"] = TimeSpan.TicksPerMicrosecond,
        ["microseconds"] = TimeSpan.TicksPerMicrosecond,
        ["ms"] = TimeSpan.TicksPerMillisecond,
        ["milli"] = TimeSpan.TicksPerMillisecond,
        ["millis"] = TimeSpan.TicksPerMillisecond,
        ["millisecond"] = TimeSpan.TicksPerMillisecond,
        ["milliseconds"] = TimeSpan.TicksPerMillisecond,
        ["s"] = TimeSpan.TicksPerSecond,
        ["second"] = TimeSpan.TicksPerSecond,
        ["seconds"] = TimeSpan.TicksPerSecond,
        ["m"] = TimeSpan.TicksPerMinute,
        ["minute"] = TimeSpan.TicksPerMinute,
        ["minutes"] = TimeSpan.TicksPerMinute,
        ["h"] = TimeSpan.TicksPerHour,
        ["hour"] = TimeSpan.TicksPerHour,
        ["hours"] = TimeSpan.TicksPerHour,
        ["d"] = TimeSpan.TicksPerDay,
        ["day"] = TimeSpan.TicksPerDay,
        ["days"] = TimeSpan.TicksPerDay,
    };

    /// <summary>Tries to read a duration; a bare number is taken as milliseconds.</summary>
    /// <param name="text">The text, for example <c>200ms</c>.</param>
    /// <param name="value">The duration when the method returns <see langword="true"/>.</param>
    /// <returns>Whether <paramref name="text"/> is a duration that fits in a <see cref="TimeSpan"/>.</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, out TimeSpan value) =>
        TryParse(text, requireUnit: false, out value);

    /// <summary>Reads a duration; a bare number is taken as milliseconds.</summary>
    /// <param name="text">The text, for example <c>5 s</c>.</param>
    /// <returns>The duration.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is <see langword="null"/>.</exception>
    /// <exception cref="FormatException"><paramref name="text"/> is not a duration or does not fit in a <see cref="TimeSpan"/>.</exception>
    public static TimeSpan Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var value)
            ? value
            : throw new FormatException(
                $"'{text}' is not a HOCON duration. Write a number and an optional unit (ns, us, ms, s, m, h, d, " +
                "or nanoseconds, microseconds, milliseconds, seconds, minutes, hours, days), for example '200ms', " +
                "'5 s' or '1 minute'; a bare number means milliseconds. The value must fit in a TimeSpan.");
    }

    /// <summary>Like <see cref="TryParse(string?, out TimeSpan)"/>, optionally rejecting bare numbers.</summary>
    internal static bool TryParse([NotNullWhen(true)] string? text, bool requireUnit, out TimeSpan value)
    {
        value = default;
        if (text is null || !UnitValue.TrySplit(text, out var number, out var unit))
        {
            return false;
        }

        if (unit.Length == 0)
        {
            if (requireUnit)
            {
                return false;
            }

            unit = "ms";
        }

        if (!TicksPerUnit.TryGetValue(unit, out var ticksPerUnit))
        {
            return false;
        }

        try
        {
            var ticks = decimal.Round(number * ticksPerUnit, MidpointRounding.AwayFromZero);
            if (ticks < TimeSpan.MinValue.Ticks || ticks > TimeSpan.MaxValue.Ticks)
            {
                return false;
            }

            value = TimeSpan.FromTicks((long)ticks);
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }
}
