using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Reflection.V1Alpha;
using ReplicatedKv.Client;
using ReplicatedKv.Testing.Tls;

namespace ReplicatedKv.Server.Tests;

/// <summary>
/// gRPC reflection describes the whole client API: with client authentication on, it answers only authenticated
/// callers (UNAUTHENTICATED otherwise), while without client authentication it stays open for tools like grpcurl.
/// </summary>
public sealed class ReflectionAuthenticationTests : IDisposable
{
    private readonly TestCertificates _certificates = new();

    public void Dispose() => _certificates.Dispose();

    [Fact]
    public async Task With_client_auth_reflection_needs_a_token_and_answers_with_one()
    {
        var tokenFile = Path.Combine(_certificates.Folder, "tokens");
        await File.WriteAllTextAsync(tokenFile, "reflection-token\n");
        await using var cluster = await TestCluster.StartAsync(1, TlsClusterSettings.Adjust(_certificates, authTokenFile: tokenFile));
        await cluster.WaitForLeaderAsync();
        var options = new KvClientOptions { Endpoints = [new Uri(cluster.Settings[0].AdvertiseClientUrl)], CaFile = _certificates.CaFile };

        var anonymous = async () => await ListServicesAsync(cluster, options, token: null);
        (await anonymous.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.Unauthenticated);

        (await ListServicesAsync(cluster, options, token: "reflection-token")).Should().Contain("replicatedkv.v1.KeyValue");
    }

    [Fact]
    public async Task Without_client_auth_reflection_stays_open()
    {
        await using var cluster = await TestCluster.StartAsync(1, TlsClusterSettings.Adjust(_certificates));
        var options = new KvClientOptions { Endpoints = [new Uri(cluster.Settings[0].AdvertiseClientUrl)], CaFile = _certificates.CaFile };

        (await ListServicesAsync(cluster, options, token: null)).Should().Contain("replicatedkv.v1.KeyValue");
    }

    private static async Task<List<string>> ListServicesAsync(TestCluster cluster, KvClientOptions options, string? token)
    {
        using var channel = GrpcChannel.ForAddress(cluster.Settings[0].AdvertiseClientUrl, new GrpcChannelOptions { HttpHandler = ClientTls.CreateHandler(options) });
        var headers = token is null ? [] : new Metadata { { "authorization", "Bearer " + token } };
        using var call = new ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo(headers, DateTime.UtcNow.AddSeconds(20));
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        var services = new List<string>();
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            services.AddRange(call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name));
        }

        return services;
    }
}
