namespace ReplicatedKv.Chaos;

internal static class Program
{
    private static int Main(string[] args)
    {
        Console.Error.WriteLine("rkv-chaos: not built yet");
        return 2;
    }
}
