using System.Diagnostics;

namespace ReplicatedKv.Cli.Tests;

/// <summary>rkvctl as a real process: what reaches a pipe is the value's bytes, nothing added or decoded.</summary>
[Collection(SharedClusterCollection.Name)]
public sealed class GetBinaryPipeTests(CliFixture fixture) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("rkvctl-pipe-").FullName;

    [Fact]
    public async Task Get_into_a_pipe_gives_back_exactly_the_bytes_set_from_a_file()
    {
        // Every byte value, invalid UTF-8 sequences, a BOM, CR LF and a trailing newline: anything a text path would change.
        var bytes = Enumerable.Range(0, 256).Select(b => (byte)b).Concat(new byte[] { 0xEF, 0xBB, 0xBF, 0xC3, 0x28, 0xFF, 0x0D, 0x0A, 0x0A }).ToArray();
        var file = Path.Combine(_folder, "value.bin");
        await File.WriteAllBytesAsync(file, bytes);

        var set = await RunProcessAsync("set", "binary/blob", "--file", file);
        var get = await RunProcessAsync("get", "binary/blob");

        set.ExitCode.Should().Be(0);
        get.ExitCode.Should().Be(0);
        get.Stdout.Should().Equal(bytes);
    }

    [Fact]
    public async Task Get_of_a_text_value_into_a_pipe_adds_no_newline()
    {
        (await RunProcessAsync("set", "binary/text", "hello")).ExitCode.Should().Be(0);

        var get = await RunProcessAsync("get", "binary/text");

        get.Stdout.Should().Equal("hello"u8.ToArray());
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private async Task<(int ExitCode, byte[] Stdout)> RunProcessAsync(params string[] args)
    {
        var rkvctl = Path.Combine(AppContext.BaseDirectory, "rkvctl.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])[rkvctl, "--endpoints", fixture.Endpoints, "--timeout", "10s", .. args])
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        using var stdout = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        await copy;
        (await error).Should().BeEmpty();
        return (process.ExitCode, stdout.ToArray());
    }
}
