using System.CommandLine;
using ReplicatedKv.Client;

namespace ReplicatedKv.Cli;

/// <summary>
/// rkvctl's entry point. Exit codes: 0 success, 1 not found (get, contains, remove) or not healthy, 2 usage error,
/// 3 failed precondition (revision mismatch, a refused membership change or leader transfer), 4 cluster unavailable or write outcome unknown, 5 any other error,
/// 130 cancelled (Ctrl+C).
/// </summary>
public static class Program
{
    public const int Success = 0;
    public const int NotFound = 1;
    public const int Usage = 2;
    public const int PreconditionFailed = 3;
    public const int Unavailable = 4;
    public const int OtherError = 5;
    public const int Cancelled = 130;

    public static async Task<int> Main(string[] args)
    {
        // get writes a value's exact bytes: through the raw stream, not the text writer's encoder.
        await using var rawStdout = Console.OpenStandardOutput();
        return await RunAsync(args, Console.Out, Console.Error, rawStdout: rawStdout, stdoutIsTerminal: !Console.IsOutputRedirected);
    }

    /// <summary>
    /// Runs one command line; output goes to the given writers, binary input (<c>set KEY -</c>) comes from
    /// <paramref name="stdin"/>. With <paramref name="rawStdout"/> (the process's own stdout) <c>get</c> writes the
    /// value's bytes there unchanged, adding a newline only for a terminal; without it, it writes the value as
    /// UTF-8 text and a newline to <paramref name="stdout"/>.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, Stream? stdin = null,
        Stream? rawStdout = null, bool stdoutIsTerminal = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var context = new CliContext(stdout, stderr, stdin, rawStdout, stdoutIsTerminal);
        var root = Commands.Build(context);
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            await stderr.WriteLineAsync($"rkvctl: {UsageErrors.Describe(parsed)} (see rkvctl --help)");
            return Usage;
        }

        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false }, cancellationToken);
        }
        catch (UsageException ex)
        {
            return await FailAsync(stderr, ex.Message, Usage);
        }
        catch (TlsMismatchException ex)
        {
            return await FailAsync(stderr, $"TLS mismatch: {ex.Message}", OtherError);
        }
        catch (System.Security.Cryptography.CryptographicException ex)
        {
            return await FailAsync(stderr, $"cannot use the certificate or key: {ex.Message}", OtherError);
        }
        catch (VersionMismatchException ex)
        {
            return await FailAsync(stderr, $"failed precondition: {ex.Message}", PreconditionFailed);
        }
        catch (WriteOutcomeUnknownException ex)
        {
            return await FailAsync(stderr, $"write outcome unknown: {ex.Message}", Unavailable);
        }
        catch (ClusterUnavailableException ex)
        {
            return await FailAsync(stderr, $"cluster unavailable: {ex.Message}", Unavailable);
        }
        catch (KvException ex) when (ex is MemberChangeRefusedException or MemberNotFoundException or MemberExistsException)
        {
            return await FailAsync(stderr, $"member change refused: {ex.Message}", PreconditionFailed);
        }
        catch (KvException ex) when (ex.StatusCode is Grpc.Core.StatusCode.FailedPrecondition)
        {
            return await FailAsync(stderr, $"failed precondition: {ex.Message}", PreconditionFailed);
        }
        catch (KvException ex) when (ex.StatusCode is Grpc.Core.StatusCode.Unavailable or Grpc.Core.StatusCode.DeadlineExceeded)
        {
            return await FailAsync(stderr, $"cluster unavailable: {ex.Message}", Unavailable);
        }
        catch (KvException ex) when (ex.StatusCode is Grpc.Core.StatusCode.InvalidArgument)
        {
            return await FailAsync(stderr, $"invalid argument: {ex.Message}", Usage);
        }
        catch (KvException ex)
        {
            return await FailAsync(stderr, $"{ex.StatusCode}: {ex.Message}", OtherError);
        }
        catch (OperationCanceledException)
        {
            return await FailAsync(stderr, "cancelled", Cancelled);
        }
        catch (IOException ex)
        {
            return await FailAsync(stderr, ex.Message, OtherError);
        }
        catch (UnauthorizedAccessException ex)
        {
            return await FailAsync(stderr, ex.Message, OtherError);
        }
    }

    internal static async Task<int> FailAsync(TextWriter stderr, string message, int code)
    {
        await stderr.WriteLineAsync($"rkvctl: {OneLine(message)}");
        return code;
    }

    internal static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
}

/// <summary>A usage error found after parsing (conflicting arguments, a bad endpoint): exit code 2.</summary>
public sealed class UsageException : Exception
{
    public UsageException()
    {
    }

    public UsageException(string message)
        : base(message)
    {
    }

    public UsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Where a command's output goes and its input comes from; <paramref name="RawOut"/> is the same stdout as bytes, when there is one.</summary>
internal sealed record CliContext(TextWriter Out, TextWriter Error, Stream? Stdin, Stream? RawOut = null, bool OutIsTerminal = false);
