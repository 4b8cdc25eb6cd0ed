using Grpc.Health.V1;

namespace ReplicatedKv.Server.Tests;

internal static class HealthChecks
{
    /// <summary>Asks grpc health until it reports <paramref name="wanted"/> or 30 s pass; returns the last answer for the test to assert.</summary>
    public static async Task<HealthCheckResponse.Types.ServingStatus> WaitForAsync(this Health.HealthClient health, HealthCheckResponse.Types.ServingStatus wanted)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        HealthCheckResponse.Types.ServingStatus status;
        do
        {
            status = (await health.CheckAsync(new HealthCheckRequest(), TestCluster.Deadline())).Status;
            if (status == wanted)
            {
                break;
            }

            await Task.Delay(50);
        }
        while (DateTime.UtcNow < deadline);

        return status;
    }
}
