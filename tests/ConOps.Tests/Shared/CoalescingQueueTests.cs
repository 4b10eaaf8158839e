using ConOps.Shared;

namespace ConOps.Tests.Shared;

public sealed class CoalescingQueueTests
{
    [Fact]
    public async Task A_key_already_waiting_is_not_queued_twice_and_force_upgrades_it()
    {
        var queue = new CoalescingQueue();
        queue.Enqueue("a");
        queue.Enqueue("b");
        queue.Enqueue("a", force: true);
        queue.Enqueue("a");

        Assert.Equal(("a", true), await queue.DequeueAsync(CancellationToken.None));
        Assert.Equal(("b", false), await queue.DequeueAsync(CancellationToken.None));

        using var nothingLeft = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await queue.DequeueAsync(nothingLeft.Token));
    }

    [Fact]
    public async Task A_key_can_be_queued_again_once_it_was_taken()
    {
        var queue = new CoalescingQueue();
        queue.Enqueue("a");
        await queue.DequeueAsync(CancellationToken.None);
        queue.Enqueue("a");
        Assert.Equal(("a", false), await queue.DequeueAsync(CancellationToken.None));
    }
}
