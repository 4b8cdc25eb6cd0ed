namespace ReplicatedKv.Server.Settings;

/// <summary>
/// Reads the peer secret from <c>--peer-secret-file</c> (RKV_PEER_SECRET_FILE, appsettings PeerSecretFile) or from
/// the variable RKV_PEER_SECRET. There is deliberately no flag carrying the secret itself: a command line is
/// readable by every user of the machine (ps, /proc).
/// </summary>
internal static class PeerSecretSource
{
    public const string SecretVariable = "RKV_PEER_SECRET";

    public static ReplicatedKv.Transport.Authentication.PeerSecret? Read(string? file, IReadOnlyDictionary<string, string?> environment, string? workingDirectory)
    {
        var fromVariable = environment.GetValueOrDefault(SecretVariable);
        if (file is not null && !string.IsNullOrEmpty(fromVariable))
        {
            throw new InvalidSettingException($"invalid setting --peer-secret-file (RKV_PEER_SECRET_FILE): {SecretVariable} is set too; give the secret one way");
        }

        string text;
        if (file is not null)
        {
            var path = Path.Combine(workingDirectory ?? Directory.GetCurrentDirectory(), file.Trim());
            try
            {
                text = File.ReadAllText(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
            {
                throw new InvalidSettingException($"invalid setting --peer-secret-file (RKV_PEER_SECRET_FILE): cannot read '{file}': {ex.Message}", ex);
            }
        }
        else if (!string.IsNullOrEmpty(fromVariable))
        {
            text = fromVariable;
        }
        else
        {
            return null;
        }

        try
        {
            return ReplicatedKv.Transport.Authentication.PeerSecret.FromText(text);
        }
        catch (FormatException ex)
        {
            throw new InvalidSettingException($"invalid setting --peer-secret-file (RKV_PEER_SECRET_FILE) / {SecretVariable}: {ex.Message}", ex);
        }
    }
}
