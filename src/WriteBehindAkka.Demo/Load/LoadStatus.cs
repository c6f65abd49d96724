namespace WriteBehindAkka.Demo.Load;

/// <summary>Where the load generator stands.</summary>
/// <param name="Running">Whether a run is going on.</param>
/// <param name="WritesPerSecond">The run's target rate (0 when idle).</param>
/// <param name="Players">How many distinct players the run writes.</param>
/// <param name="SecondsLeft">Seconds until the run ends; <see langword="null"/> when it runs until stopped or nothing runs.</param>
/// <param name="Written">Writes the current (or last) run made.</param>
public sealed record LoadStatus(bool Running, int WritesPerSecond, int Players, double? SecondsLeft, long Written);
