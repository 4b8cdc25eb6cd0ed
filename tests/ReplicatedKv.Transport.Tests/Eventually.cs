namespace ReplicatedKv.Transport.Tests;

/// <summary>Waits for a condition, polling, with a generous timeout; no test asserts on how long anything takes.</summary>
internal static class Eventually
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static async Task HoldsAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Timeout);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"still not true after {(timeout ?? Timeout).TotalSeconds} s: {what}");
            }

            await Task.Delay(10);
        }
    }
}
