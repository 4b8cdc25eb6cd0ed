#if RKV_FAULT_INJECTION
using ReplicatedKv.Storage;

namespace ReplicatedKv.Server.Hosting;

/// <summary>
/// <c>PUT /failpoints/{name}</c> with a spec as the body (e.g. <c>after:3</c>, or <c>off</c>): arms a test-only crash
/// point (see <see cref="Failpoints"/>). Mapped only when the process started with RKV_FAILPOINTS set, so a
/// node started without it has no such route at all. Compiled only where RKV_FAULT_INJECTION is defined (every
/// configuration but Release), like <see cref="Failpoints"/>: the Release binaries and image have neither.
/// </summary>
internal static partial class FailpointEndpoints
{
    public static void MapIfEnabled(WebApplication app, ILoggerFactory loggerFactory)
    {
        if (!Failpoints.Enabled)
        {
            return;
        }

        var logger = loggerFactory.CreateLogger(typeof(FailpointEndpoints));
        LogEnabled(logger, Failpoints.EnvironmentVariable);
        app.MapPut("/failpoints/{name}", async (string name, HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            var spec = await reader.ReadToEndAsync(request.HttpContext.RequestAborted).ConfigureAwait(false);
            try
            {
                Failpoints.Arm(name, spec);
            }
            catch (FormatException ex)
            {
                return Results.Text(ex.Message + "\n", statusCode: StatusCodes.Status400BadRequest);
            }

            LogArmed(logger, name, spec.Trim());
            return Results.Text("armed\n");
        });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Test-only failpoints are enabled ({Variable} is set)")]
    private static partial void LogEnabled(ILogger logger, string variable);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Failpoint {Name} armed: {Spec}")]
    private static partial void LogArmed(ILogger logger, string name, string spec);
}
#endif
