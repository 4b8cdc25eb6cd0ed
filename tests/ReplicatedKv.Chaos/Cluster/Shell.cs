using System.Diagnostics;

namespace ReplicatedKv.Chaos.Cluster;

/// <summary>Runs short system commands (ip, nft) and reports their output; the network setup is built from these.</summary>
internal static class Shell
{
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public bool Succeeded => ExitCode == 0;
    }

    public static async Task<Result> RunAsync(string program, IEnumerable<string> args, string? input = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input).ConfigureAwait(false);
            process.StandardInput.Close();
        }

        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().ConfigureAwait(false);
        return new Result(process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
    }

    /// <summary>Throws <see cref="InvalidOperationException"/> with the command and its error output when it fails.</summary>
    public static async Task<string> RunCheckedAsync(string program, IReadOnlyList<string> args, string? input = null)
    {
        var result = await RunAsync(program, args, input).ConfigureAwait(false);
        return result.Succeeded
            ? result.Output
            : throw new InvalidOperationException($"`{program} {string.Join(' ', args)}` failed ({result.ExitCode}): {result.Error.Trim()}");
    }
}
