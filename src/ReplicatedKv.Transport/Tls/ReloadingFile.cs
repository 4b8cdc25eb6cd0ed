using Microsoft.Extensions.Logging;

namespace ReplicatedKv.Transport.Tls;

/// <summary>
/// A value loaded from one or more files (a PEM certificate and key, a CA bundle, a token list) and loaded again
/// when any file's modification time changes, so credentials can be rotated without a restart. The times are
/// looked at no more than once per <see cref="CheckInterval"/>, so a handshake costs at most a couple of stat
/// calls a second. A new version that fails to load keeps the old value in use and is reported once.
/// </summary>
/// <typeparam name="T">What the files hold once parsed.</typeparam>
public sealed class ReloadingFile<T>
    where T : class
{
    public static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);

    private readonly string[] _paths;
    private readonly string _names;
    private readonly Func<string[], T> _load;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private volatile T _current;
    private DateTime[] _loadedStamps;
    private DateTime[]? _rejectedStamps;
    private long _nextCheck;

    /// <summary>Loads the files now; throws (with the loader's message) if they cannot be used, so a bad start fails loudly.</summary>
    public ReloadingFile(IReadOnlyList<string> paths, Func<string[], T> load, ILogger logger, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(load);
        _paths = [.. paths];
        _names = string.Join(", ", _paths);
        _load = load;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _loadedStamps = Stamps();
        _current = load(_paths);
        _nextCheck = _time.GetTimestamp() + ToTimestamp(CheckInterval);
    }

    /// <summary>The newest version that loaded; reloaded first if a file changed since the last look.</summary>
    public T Current
    {
        get
        {
            if (_time.GetTimestamp() >= Volatile.Read(ref _nextCheck))
            {
                Refresh();
            }

            return _current;
        }
    }

    /// <summary>Looks at the files now, whatever the interval; for callers that must see a change at once.</summary>
    public void Refresh()
    {
        lock (_gate)
        {
            Volatile.Write(ref _nextCheck, _time.GetTimestamp() + ToTimestamp(CheckInterval));
            var stamps = Stamps();
            if (stamps.SequenceEqual(_loadedStamps) || (_rejectedStamps is { } rejected && stamps.SequenceEqual(rejected)))
            {
                return;
            }

            try
            {
                _current = _load(_paths);
                _loadedStamps = stamps;
                _rejectedStamps = null;
                ReloadingFileLog.Reloaded(_logger, _names);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or FormatException or ArgumentException)
            {
                // Remembered, so one bad file is reported once rather than on every handshake until it is fixed.
                _rejectedStamps = stamps;
                ReloadingFileLog.KeptOld(_logger, _names, ex.Message);
            }
        }
    }

    private DateTime[] Stamps() => [.. _paths.Select(File.GetLastWriteTimeUtc)];

    private long ToTimestamp(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);
}

/// <summary>Log messages of <see cref="ReloadingFile{T}"/> (not generic, as the logging generator requires).</summary>
internal static partial class ReloadingFileLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Reloaded {Files}")]
    public static partial void Reloaded(ILogger logger, string files);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Changed {Files} cannot be used, still serving the previous version: {Reason}")]
    public static partial void KeptOld(ILogger logger, string files, string reason);
}
