using ReplicatedKv.Transport.Tls;

namespace ReplicatedKv.Server.Tests;

/// <summary>Credential files are reloaded when their modification time changes, looked at once per interval; a bad new version is reported once and not used.</summary>
public sealed class ReloadingFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("rkv-reload-").FullName;
    private readonly ManualClock _clock = new();
    private readonly RecordingLogger _logger = new();

    [Fact]
    public void A_changed_file_is_read_again_once_the_check_interval_has_passed_and_not_before()
    {
        var file = Write("one", DateTime.UtcNow.AddMinutes(-2));
        var reloading = new ReloadingFile<string>([file], Load, _logger, _clock);

        Write("two", DateTime.UtcNow.AddMinutes(-1));
        var beforeInterval = reloading.Current;
        _clock.Advance(ReloadingFile<string>.CheckInterval);
        var afterInterval = reloading.Current;

        beforeInterval.Should().Be("one", "the files are looked at no more than once per interval");
        afterInterval.Should().Be("two");
    }

    [Fact]
    public void A_bad_new_version_keeps_the_old_value_and_warns_once_until_a_good_one_comes()
    {
        var file = Write("good", DateTime.UtcNow.AddMinutes(-3));
        var reloading = new ReloadingFile<string>([file], Load, _logger, _clock);

        Write("bad", DateTime.UtcNow.AddMinutes(-2));
        var seen = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            _clock.Advance(ReloadingFile<string>.CheckInterval);
            seen.Add(reloading.Current);
        }

        Write("better", DateTime.UtcNow.AddMinutes(-1));
        _clock.Advance(ReloadingFile<string>.CheckInterval);

        seen.Should().Equal("good", "good", "good");
        _logger.Warnings.Should().ContainSingle().Which.Should().Contain("still serving the previous version");
        reloading.Current.Should().Be("better");
    }

    [Fact]
    public void A_file_that_cannot_be_used_at_start_throws_instead_of_serving_nothing()
    {
        var file = Write("bad", DateTime.UtcNow);

        var open = () => new ReloadingFile<string>([file], Load, _logger, _clock);

        open.Should().Throw<FormatException>();
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string Load(string[] paths)
    {
        var text = File.ReadAllText(paths[0]);
        return text == "bad" ? throw new FormatException("not usable") : text;
    }

    // Distinct, explicit modification times: a file system's clock granularity cannot hide a change.
    private string Write(string content, DateTime modified)
    {
        var path = Path.Combine(_folder, "credential");
        File.WriteAllText(path, content);
        File.SetLastWriteTimeUtc(path, modified);
        return path;
    }

    private sealed class ManualClock : TimeProvider
    {
        private long _now = 1;

        public override long GetTimestamp() => _now;

        public void Advance(TimeSpan by) => _now += (long)(by.TotalSeconds * TimestampFrequency);
    }
}
