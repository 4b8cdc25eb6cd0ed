namespace ReplicatedKv.Chaos.Cluster;

/// <summary>What asking a node to arm a failpoint told us.</summary>
internal enum FailpointArming
{
    /// <summary>The node said it is armed.</summary>
    Armed,

    /// <summary>The node answered no (failpoints not enabled, unknown name, bad spec): nothing changed.</summary>
    Refused,

    /// <summary>
    /// No answer: it may be armed. An armed crash can beat the reply out of the process (the very next log write
    /// kills it), so a silent node must be treated as armed until it crashes or is disarmed.
    /// </summary>
    NoAnswer,
}
