using System.Security.Cryptography;
using System.Text;
using ConOps.Contract;

namespace ConOps.Agent.Docker;

/// <summary>
/// A compact label holding a short hash of every set field of the spec (<c>environment=1a2b3c4d;image=...</c>),
/// so that when a container's config hash differs from the desired one the agent can name the fields that
/// changed from the list call alone, without keeping old specs.
/// </summary>
public static class ConfigInputs
{
    public static string Label(ServiceSpec spec) =>
        string.Join(';', ConfigHash.Inputs(spec).Select(i => $"{i.Key}={Short(i.Value)}"));

    /// <summary>Field names whose short hashes differ; empty when either side is unknown.</summary>
    public static IReadOnlyList<string> Changed(string liveLabel, ServiceSpec desired) => Changed(liveLabel, Label(desired));

    /// <summary>Field names whose short hashes differ between two labels; empty when either side is unknown.</summary>
    public static IReadOnlyList<string> Changed(string liveLabel, string desiredLabel)
    {
        if (string.IsNullOrEmpty(liveLabel) || string.IsNullOrEmpty(desiredLabel))
        {
            return [];
        }
        var live = Parse(liveLabel);
        var wanted = Parse(desiredLabel);
        return live.Keys.Union(wanted.Keys)
            .Where(k => !live.TryGetValue(k, out var a) || !wanted.TryGetValue(k, out var b) || a != b)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    private static Dictionary<string, string> Parse(string label) =>
        label.Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);

    private static string Short(string canonicalJson) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalJson)))[..8];
}
