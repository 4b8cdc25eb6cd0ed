using ReplicatedKv.StateMachine;

namespace ReplicatedKv.Benchmarks.HotPaths;

/// <summary>The command codec: one set encoded into a reused buffer and decoded again.</summary>
public sealed class CommandCodecWorkload : IHotPathWorkload
{
    public const string PathName = "command-codec";
    private readonly KvCommand[] _commands = SampleCommands.Sets();
    private readonly byte[] _buffer = new byte[4096];
    private int _next;

    public string Name => PathName;

    public void RunOnce()
    {
        var command = _commands[_next++ % _commands.Length];
        var length = CommandCodec.Encode(command, _buffer);
        _ = CommandCodec.Decode(_buffer.AsSpan(0, length));
    }

    public void Dispose()
    {
    }
}
