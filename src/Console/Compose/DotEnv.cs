using System.Text;

namespace ConOps.Console.Compose;

/// <summary>
/// The <c>.env</c> / <c>env_file</c> format: <c>KEY=value</c> lines, <c># comments</c>, an optional <c>export</c>,
/// single quotes (literal), double quotes (escapes and substitution) or bare values (substitution, trailing
/// <c> #comment</c> removed). Earlier lines of the same file can be used by later ones.
/// </summary>
internal static class DotEnv
{
    public static List<KeyValuePair<string, string>> Parse(string text, SourceFile file, Func<string, string?> lookup, ICollection<string> warnings)
    {
        var result = new List<KeyValuePair<string, string>>();
        var own = new Dictionary<string, string>(StringComparer.Ordinal);
        var interpolation = new Interpolation(name => own.TryGetValue(name, out var v) ? v : lookup(name), warnings);
        var lines = text.ReplaceLineEndings("\n").Split('\n');
        for (var n = 0; n < lines.Length; n++)
        {
            var line = lines[n].Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            var at = new ScalarNode(file, n + 1, 1, null, line);
            if (line.StartsWith("export ", StringComparison.Ordinal))
            {
                line = line[7..].TrimStart();
            }
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            var key = (eq < 0 ? line : line[..eq]).Trim();
            if (key.Length == 0 || !key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-') || char.IsAsciiDigit(key[0]))
            {
                throw at.Error($"'{Shorten(line)}' is not a KEY=value line");
            }
            if (eq < 0)
            {
                // A bare name passes the variable through, as docker compose does.
                var passed = lookup(key);
                if (passed is not null)
                {
                    Add(key, passed);
                }
                continue;
            }
            var raw = line[(eq + 1)..].TrimStart();
            string value;
            if (raw.StartsWith('\''))
            {
                var close = raw.IndexOf('\'', 1);
                value = close < 0 ? throw at.Error($"the value of {key} has no closing single quote") : raw[1..close];
            }
            else if (raw.StartsWith('"'))
            {
                value = interpolation.Substitute(DoubleQuoted(raw, key, at), at);
            }
            else
            {
                var comment = raw.IndexOf(" #", StringComparison.Ordinal);
                value = interpolation.Substitute((comment < 0 ? raw : raw[..comment]).TrimEnd(), at);
            }
            Add(key, value);
        }
        return result;

        void Add(string key, string value)
        {
            own[key] = value;
            result.RemoveAll(e => e.Key == key);
            result.Add(new(key, value));
        }
    }

    private static string DoubleQuoted(string raw, string key, Node at)
    {
        var value = new StringBuilder();
        for (var i = 1; i < raw.Length; i++)
        {
            var c = raw[i];
            if (c == '"')
            {
                return value.ToString();
            }
            if (c == '\\' && i + 1 < raw.Length)
            {
                i++;
                value.Append(raw[i] switch { 'n' => '\n', 't' => '\t', 'r' => '\r', var other => other });
                continue;
            }
            value.Append(c);
        }
        throw at.Error($"the value of {key} has no closing double quote");
    }

    private static string Shorten(string line) => line.Length > 40 ? line[..40] + "..." : line;
}
