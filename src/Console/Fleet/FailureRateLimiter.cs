using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace ConOps.Console.Fleet;

/// <summary>
/// Counts failed enrollments and refused connections per remote address; an address over the limit is
/// refused without looking at its token until its window passes, so guessing stays slow and cheap.
/// </summary>
public sealed class FailureRateLimiter(IOptions<FleetOptions> options, TimeProvider time)
{
    // Bounded: beyond this many tracked addresses, expired entries are swept and then new ones only counted once.
    private const int MaxTrackedAddresses = 10_000;

    private readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);

    /// <summary>How long <paramref name="address"/> must still wait, or null when it may try.</summary>
    public TimeSpan? RetryAfter(string address)
    {
        if (!_windows.TryGetValue(address, out var window))
        {
            return null;
        }
        var now = time.GetUtcNow();
        var ends = window.Started + options.Value.FailureWindow;
        if (now >= ends)
        {
            _windows.TryRemove(new KeyValuePair<string, Window>(address, window));
            return null;
        }
        return window.Failures >= options.Value.FailureLimit ? ends - now : null;
    }

    public void RecordFailure(string address)
    {
        var now = time.GetUtcNow();
        if (_windows.Count >= MaxTrackedAddresses)
        {
            Sweep(now);
        }
        _windows.AddOrUpdate(
            address,
            _ => new Window(now, 1),
            (_, w) => now >= w.Started + options.Value.FailureWindow ? new Window(now, 1) : w with { Failures = w.Failures + 1 });
    }

    private void Sweep(DateTimeOffset now)
    {
        foreach (var (address, window) in _windows)
        {
            if (now >= window.Started + options.Value.FailureWindow)
            {
                _windows.TryRemove(new KeyValuePair<string, Window>(address, window));
            }
        }
    }

    private sealed record Window(DateTimeOffset Started, int Failures);
}
