namespace WriteBehindAkka.Demo.Metrics;

/// <summary>The write-behind health checks as the page shows them.</summary>
/// <param name="Status">Healthy, Degraded or Unhealthy (the worst of the checks).</param>
/// <param name="Checks">Each check's name, status and description.</param>
public sealed record HealthView(string Status, IReadOnlyList<HealthCheckView> Checks);

/// <summary>One health check.</summary>
/// <param name="Name">Its name, for example <c>writebehind-scores</c>.</param>
/// <param name="Status">Healthy, Degraded or Unhealthy.</param>
/// <param name="Description">Why.</param>
public sealed record HealthCheckView(string Name, string Status, string? Description);
