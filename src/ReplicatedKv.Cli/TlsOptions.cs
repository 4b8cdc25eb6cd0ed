using System.CommandLine;
using ReplicatedKv.Client;

namespace ReplicatedKv.Cli;

/// <summary>The TLS and authentication options every command shares (https:// endpoints, client certificates, bearer tokens).</summary>
internal static class TlsOptions
{
    private const string CaCertName = "--cacert";
    private const string CertName = "--cert";
    private const string KeyName = "--key";
    private const string TokenName = "--token";
    private const string TokenFileName = "--token-file";
    private const string InsecureName = "--insecure-skip-tls-verify";

    public static void AddTo(RootCommand root)
    {
        root.Options.Add(FromEnvironment(CaCertName, "RKV_CACERT", "PEM file of the CA that https:// endpoints' certificates must chain to"));
        root.Options.Add(FromEnvironment(CertName, "RKV_CERT", "PEM client certificate, for servers with --client-cert-auth (with --key)"));
        root.Options.Add(FromEnvironment(KeyName, "RKV_KEY", "PEM private key of --cert"));
        root.Options.Add(FromEnvironment(TokenName, "RKV_TOKEN", "Bearer token, for servers with --auth-token-file"));
        root.Options.Add(FromEnvironment(TokenFileName, "RKV_TOKEN_FILE", "File whose first line is the bearer token (keeps it out of the process list)"));
        root.Options.Add(new Option<bool>(InsecureName)
        {
            Description = "INSECURE: accept any server certificate, so anyone in between can read and change the traffic; for a first try only, use --cacert",
            Recursive = true,
        });
    }

    /// <summary><paramref name="options"/> with the command line's TLS and token settings.</summary>
    public static KvClientOptions Apply(ParseResult parsed, KvClientOptions options)
    {
        var cert = parsed.GetValue<string?>(CertName);
        var key = parsed.GetValue<string?>(KeyName);
        if (cert is null != key is null)
        {
            throw new UsageException("--cert and --key go together");
        }

        return options with
        {
            CaFile = parsed.GetValue<string?>(CaCertName),
            CertFile = cert,
            KeyFile = key,
            Token = Token(parsed),
            InsecureSkipTlsVerify = parsed.GetValue<bool>(InsecureName),
        };
    }

    private static string? Token(ParseResult parsed)
    {
        var token = parsed.GetValue<string?>(TokenName);
        var file = parsed.GetValue<string?>(TokenFileName);
        if (token is not null && file is not null)
        {
            throw new UsageException("give --token or --token-file, not both");
        }

        if (file is null)
        {
            return token;
        }

        return File.ReadLines(file).Select(line => line.Trim()).FirstOrDefault(line => line.Length > 0)
            ?? throw new UsageException($"--token-file: '{file}' holds no token");
    }

    private static Option<string?> FromEnvironment(string name, string variable, string description) => new(name)
    {
        Description = $"{description} (default: ${variable})",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? value : null,
    };
}
