using System.Globalization;

namespace ConOps.Console.Components.Shared;

/// <summary>Short human forms of durations, hashes and revisions.</summary>
public static class Format
{
    public static string Duration(TimeSpan? span) => span is not { } s ? "—" : s switch
    {
        { TotalSeconds: < 1 } => $"{s.TotalMilliseconds:0} ms",
        { TotalSeconds: < 60 } => $"{s.TotalSeconds:0.#} s",
        { TotalMinutes: < 60 } => $"{(int)s.TotalMinutes} min {s.Seconds} s",
        { TotalHours: < 48 } => $"{(int)s.TotalHours} h {s.Minutes} min",
        _ => $"{(int)s.TotalDays} d {s.Hours} h",
    };

    /// <summary>"5 min ago" style, for "offline since" and "last seen".</summary>
    public static string Ago(DateTimeOffset? at, DateTimeOffset now) => at is null ? "—" : Duration(now - at.Value) + " ago";

    public static string ShortHash(string? hash)
    {
        if (string.IsNullOrEmpty(hash))
        {
            return "—";
        }
        var at = hash.LastIndexOf(':');
        var hex = at >= 0 ? hash[(at + 1)..] : hash;
        return hex.Length > 12 ? hex[..12] : hex;
    }

    /// <summary><c>main@sha1:0123456789abcdef…</c> -> <c>main@0123456789</c>.</summary>
    public static string ShortRevision(string? revision)
    {
        if (string.IsNullOrEmpty(revision))
        {
            return "—";
        }
        var at = revision.IndexOf("@sha1:", StringComparison.Ordinal);
        return at < 0 ? revision : revision[..at] + "@" + revision[(at + 6)..Math.Min(revision.Length, at + 6 + 10)];
    }

    public static string Time(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
}
