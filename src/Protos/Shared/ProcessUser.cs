namespace ConOps.Shared;

/// <summary>Who this process runs as, for messages that tell a user which owner a file or folder needs.</summary>
public static class ProcessUser
{
    /// <summary>The effective uid (what `id -u` prints for this process); null where there is no /proc.</summary>
    public static string? EffectiveUid { get; } = ReadEffectiveUid();

    private static string? ReadEffectiveUid()
    {
        try
        {
            // "Uid:" lists real, effective, saved and filesystem uid; file ownership checks use the effective one.
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
            var fields = line?.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return fields is { Length: >= 3 } ? fields[2] : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
