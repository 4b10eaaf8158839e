using System.Threading.Channels;
using ConOps.Contract;

namespace ConOps.Agent.Connection;

/// <summary>
/// Messages waiting for the console. Bounded: while the console is away the oldest are dropped, which is
/// safe because every session starts with a full status snapshot.
/// </summary>
public sealed class AgentOutbox
{
    private readonly Channel<AgentMessage> _channel = Channel.CreateBounded<AgentMessage>(
        new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    public void Post(AgentMessage message) => _channel.Writer.TryWrite(message);

    public ChannelReader<AgentMessage> Reader => _channel.Reader;
}
