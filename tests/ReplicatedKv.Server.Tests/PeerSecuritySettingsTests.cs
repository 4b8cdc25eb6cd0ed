using ReplicatedKv.Server.Settings;

namespace ReplicatedKv.Server.Tests;

/// <summary>The peer secret (a file or a variable, never a flag with the value), member client URLs, and the slot size bound.</summary>
public sealed class PeerSecuritySettingsTests
{
    private const string Peers = "n1=http://a:7101,n2=http://b:7101,n3=http://c:7101";
    private const string Secret = "0123456789abcdef0123456789abcdef";

    [Fact]
    public void The_secret_comes_from_a_file_without_its_final_newline()
    {
        var dir = Directory.CreateTempSubdirectory("rkv-secret-").FullName;
        File.WriteAllText(Path.Combine(dir, "peer.secret"), Secret + "\n");

        var fromFile = SettingsLoader.Load(["--node-id", "n1", "--peers", Peers, "--peer-secret-file", "peer.secret"], new Dictionary<string, string?>(), dir);
        var fromVariable = Load(new() { ["RKV_PEER_SECRET"] = Secret });

        fromFile.PeerSecret.Should().NotBeNull();
        fromVariable.PeerSecret.Should().NotBeNull();
        Load([]).PeerSecret.Should().BeNull();
        fromFile.ToString().Should().NotContain(Secret, "printing the settings must not print the secret");
    }

    [Fact]
    public void The_secret_file_may_come_from_the_environment()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("rkv-secret-").FullName, "s");
        File.WriteAllText(file, Secret);

        Load(new() { ["RKV_PEER_SECRET_FILE"] = file }).PeerSecret.Should().NotBeNull();
    }

    [Fact]
    public void There_is_no_flag_that_carries_the_secret_itself()
    {
        var load = () => SettingsLoader.Load(["--node-id", "n1", "--peers", Peers, "--peer-secret", Secret], new Dictionary<string, string?>(), Path.GetTempPath());

        load.Should().Throw<InvalidSettingException>().WithMessage("unknown flag --peer-secret *");
    }

    [Theory]
    [InlineData("RKV_PEER_SECRET", "short", "*needs at least 16*")]
    [InlineData("RKV_PEER_SECRET_FILE", "/nonexistent/rkv-secret", "*cannot read '/nonexistent/rkv-secret'*")]
    public void A_bad_secret_fails_the_start_naming_the_setting(string variable, string value, string message)
    {
        var load = () => Load(new() { [variable] = value });

        load.Should().Throw<InvalidSettingException>().WithMessage(message);
    }

    [Fact]
    public void A_secret_given_both_ways_is_refused()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("rkv-secret-").FullName, "s");
        File.WriteAllText(file, Secret);

        var load = () => Load(new() { ["RKV_PEER_SECRET_FILE"] = file, ["RKV_PEER_SECRET"] = Secret });

        load.Should().Throw<InvalidSettingException>().WithMessage("*give the secret one way*");
    }

    [Fact]
    public void Member_client_urls_must_name_members()
    {
        Load(new() { ["RKV_MEMBER_CLIENT_URLS"] = "n1=http://a:7001,n3=http://c:7001" }).MemberClientUrls.Should().Be("n1=http://a:7001,n3=http://c:7001");

        var load = () => Load(new() { ["RKV_MEMBER_CLIENT_URLS"] = "n1=http://a:7001,n9=http://z:7001" });
        load.Should().Throw<InvalidSettingException>().WithMessage("invalid setting --member-client-urls (RKV_MEMBER_CLIENT_URLS): client URL given for 'n9'*");
    }

    [Fact]
    public void Max_batch_bytes_stops_where_a_full_slot_would_no_longer_fit_one_log_record()
    {
        Load(new() { ["RKV_MAX_BATCH_BYTES"] = (64 << 20).ToString(System.Globalization.CultureInfo.InvariantCulture) }).MaxBatchBytes.Should().Be(64 << 20);

        var tooBig = () => Load(new() { ["RKV_MAX_BATCH_BYTES"] = ((64 << 20) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) });
        tooBig.Should().Throw<InvalidSettingException>().WithMessage("invalid setting --max-batch-bytes (RKV_MAX_BATCH_BYTES): * is outside 1024..67108864");
        (24L + (4L * 1_000_000) + SettingsLoader.MaxBatchBytesLimit).Should().BeLessThanOrEqualTo(Storage.WalFormat.MaxPayload,
            "the largest slot the settings allow fits one record");
    }

    private static ServerSettings Load(Dictionary<string, string?> environment) =>
        SettingsLoader.Load(["--node-id", "n1", "--peers", Peers], environment, Path.GetTempPath());
}
