using System.Globalization;
using System.Text.RegularExpressions;
using ReplicatedKv.Testing.Processes;

namespace ReplicatedKv.Chaos.Cluster;

/// <summary>
/// A run's number, 1 to 250: it names the run's namespaces (<c>rkvc{n}h</c>, <c>rkvc{n}n1</c>...), its subnet
/// (10.77.{n}.0/24) and its cluster id, so runs side by side never meet. The claim is a file holding the owner's pid
/// and start time, then each node pid it started: a later run that finds the owner gone kills what is left of it
/// (nodes, namespaces) before choosing a number, so a crashed run never leaves anything behind for long.
/// </summary>
internal sealed partial class RunSlot : IDisposable
{
    private const int MaxNumber = 250;
    private readonly string _file;
    private readonly Lock _lock = new();

    private RunSlot(int number, string file)
    {
        Number = number;
        _file = file;
    }

    public int Number { get; }

    public string Prefix => "rkvc" + Number.ToString(CultureInfo.InvariantCulture);

    /// <summary>Notes a node process, so a later run can kill it if this one dies without cleaning up.</summary>
    public void RecordNodePid(int pid)
    {
        lock (_lock)
        {
            File.AppendAllText(_file, pid.ToString(CultureInfo.InvariantCulture) + "\n");
        }
    }

    /// <summary>
    /// Claims a number in /run/rkv-chaos as root (namespaces are machine-wide), else in a folder of this user's in the
    /// temp folder: without root a run makes nothing machine-wide, and another user's folder could not be written.
    /// </summary>
    public static async Task<RunSlot> ClaimAsync(TextWriter log)
    {
        var directory = Directory.Exists("/run") && Environment.IsPrivilegedProcess ? "/run/rkv-chaos" : Path.Combine(Path.GetTempPath(), "rkv-chaos-runs-" + Environment.UserName);
        Directory.CreateDirectory(directory);
        var live = new HashSet<int>();
        foreach (var file in Directory.GetFiles(directory))
        {
            if (!int.TryParse(Path.GetFileName(file), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                continue;
            }

            if (OwnerIsAlive(file))
            {
                live.Add(number);
                continue;
            }

            await log.WriteLineAsync($"rkv-chaos: cleaning up after run {number}, whose owner is gone").ConfigureAwait(false);
            KillRecordedNodes(file);
            await NamespaceNetwork.RemoveAllAsync(PrefixOf(number)).ConfigureAwait(false);
            File.Delete(file);
        }

        // Namespaces nobody claims, e.g. from a run whose claim file vanished.
        foreach (var number in await NamespaceNetwork.PrefixNumbersInUseAsync().ConfigureAwait(false))
        {
            if (!live.Contains(number))
            {
                await log.WriteLineAsync($"rkv-chaos: removing stale namespaces {PrefixOf(number)}*").ConfigureAwait(false);
                await NamespaceNetwork.RemoveAllAsync(PrefixOf(number)).ConfigureAwait(false);
            }
        }

        // Start from a number that depends on the pid so concurrent runs rarely contend for the same file.
        var first = (Environment.ProcessId % MaxNumber) + 1;
        for (var i = 0; i < MaxNumber; i++)
        {
            var number = ((first - 1 + i) % MaxNumber) + 1;
            var path = Path.Combine(directory, number.ToString(CultureInfo.InvariantCulture));
            if (live.Contains(number) || File.Exists(path))
            {
                continue;
            }

            try
            {
                using var claim = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
                using var writer = new StreamWriter(claim);
                await writer.WriteLineAsync($"{Environment.ProcessId} {StartTime(Environment.ProcessId)}").ConfigureAwait(false);
                return new RunSlot(number, path);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another run took it between the check and the create.
            }
            catch (DirectoryNotFoundException)
            {
                // The last run to finish removed the empty folder after this one made it: make it again, try again.
                Directory.CreateDirectory(directory);
                i--;
            }
        }

        throw new InvalidOperationException($"all {MaxNumber} run numbers in {directory} are taken by live runs");
    }

    public void Dispose()
    {
        lock (_lock)
        {
            File.Delete(_file);
        }

        // The last run out removes the folder, so a run without root leaves nothing in the temp folder.
        try
        {
            Directory.Delete(Path.GetDirectoryName(_file)!);
        }
        catch (IOException)
        {
            // Another run's claim is still in it (or it is already gone).
        }
    }

    private static string PrefixOf(int number) => "rkvc" + number.ToString(CultureInfo.InvariantCulture);

    private static bool OwnerIsAlive(string file)
    {
        var first = File.ReadLines(file).FirstOrDefault()?.Split(' ');
        return first is [var pidText, var started] &&
            int.TryParse(pidText, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) &&
            PosixSignals.IsAlive(pid) && StartTime(pid) == started;
    }

    private static void KillRecordedNodes(string file)
    {
        foreach (var line in File.ReadLines(file).Skip(1))
        {
            // Only a process that still is an rkv-server: the pid may have been reused by anything else since.
            if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && IsServer(pid))
            {
                PosixSignals.Send(pid, PosixSignals.SigKill);
            }
        }
    }

    private static bool IsServer(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Contains("rkv-server", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Field 22 of /proc/pid/stat (clock ticks since boot): a pid plus this names one process, even after pid reuse.</summary>
    private static string StartTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields[19];
        }
        catch (IOException)
        {
            return "?";
        }
    }

    [GeneratedRegex(@"^rkvc(\d+)(h|n\d+)$")]
    internal static partial Regex NamespaceName();
}
