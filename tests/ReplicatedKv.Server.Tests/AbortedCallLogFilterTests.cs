using ReplicatedKv.Server.Hosting;
using Serilog.Events;
using Serilog.Parsing;

namespace ReplicatedKv.Server.Tests;

/// <summary>A client that resets its call (deadline, cancel) is not a server error; a handler's own failure still is.</summary>
public sealed class AbortedCallLogFilterTests
{
    private const string CallHandler = "Grpc.AspNetCore.Server.ServerCallHandler";

    [Fact]
    public void A_stream_the_client_reset_is_not_logged_as_a_server_error()
    {
        AbortedCallLogFilter.IsClientAbort(Event(CallHandler, new IOException("The client reset the request stream."))).Should().BeTrue();
        AbortedCallLogFilter.IsClientAbort(Event(CallHandler, new OperationCanceledException())).Should().BeTrue();
    }

    [Fact]
    public void Any_other_failure_still_logs()
    {
        AbortedCallLogFilter.IsClientAbort(Event(CallHandler, new InvalidOperationException("Response headers can only be sent once per call."))).Should().BeFalse();
        AbortedCallLogFilter.IsClientAbort(Event("ReplicatedKv.Storage", new IOException("disk full"))).Should().BeFalse("our own I/O errors matter");
        AbortedCallLogFilter.IsClientAbort(Event(CallHandler, null)).Should().BeFalse();
    }

    private static LogEvent Event(string source, Exception? exception) => new(
        DateTimeOffset.UtcNow, LogEventLevel.Error, exception, new MessageTemplateParser().Parse("Error when executing service method '{Method}'."),
        [new LogEventProperty("SourceContext", new ScalarValue(source)), new LogEventProperty("Method", new ScalarValue("Set"))]);
}
