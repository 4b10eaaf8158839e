using System.Globalization;
using System.Text;
using Google.Protobuf.WellKnownTypes;

namespace ConOps.Console.Compose;

/// <summary>The value syntaxes compose files use: durations, byte sizes, shell-like command strings, booleans and numbers.</summary>
internal static class ComposeValues
{
    /// <summary>Go-style durations such as <c>1m30s</c>, <c>1.5h</c>, <c>250ms</c>.</summary>
    public static Duration ParseDuration(string text, Node where)
    {
        var s = text.Trim();
        if (s == "0")
        {
            return new Duration();
        }
        decimal seconds = 0;
        var i = 0;
        if (s.Length == 0)
        {
            throw where.Error("a duration cannot be empty; write for example '30s' or '1m30s'");
        }
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
            {
                i++;
            }
            var unitStart = i;
            while (i < s.Length && !char.IsAsciiDigit(s[i]) && s[i] != '.')
            {
                i++;
            }
            if (!decimal.TryParse(s[start..unitStart], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount) || amount > 1_000_000_000_000m)
            {
                throw where.Error($"'{text}' is not a duration; write for example '30s', '1m30s' or '500ms'");
            }
            seconds += s[unitStart..i] switch
            {
                "h" => amount * 3600,
                "m" => amount * 60,
                "s" => amount,
                "ms" => amount / 1_000,
                "us" or "µs" => amount / 1_000_000,
                "ns" => amount / 1_000_000_000,
                _ => throw where.Error($"'{text}' is not a duration: use the units h, m, s, ms, us or ns, e.g. '1m30s'"),
            };
        }
        if (seconds > 315_576_000_000m)
        {
            throw where.Error($"the duration '{text}' is too long");
        }
        var whole = decimal.Truncate(seconds);
        return new Duration { Seconds = (long)whole, Nanos = (int)((seconds - whole) * 1_000_000_000) };
    }

    /// <summary>Byte sizes such as <c>512m</c>, <c>1g</c>, <c>100kb</c> or a plain number of bytes (units are powers of 1024).</summary>
    public static long ParseBytes(string text, Node where)
    {
        var s = text.Trim().ToLowerInvariant();
        var end = 0;
        while (end < s.Length && (char.IsAsciiDigit(s[end]) || s[end] == '.'))
        {
            end++;
        }
        var multiplier = s[end..].Trim() switch
        {
            "" or "b" => 1L,
            "k" or "kb" or "kib" => 1L << 10,
            "m" or "mb" or "mib" => 1L << 20,
            "g" or "gb" or "gib" => 1L << 30,
            "t" or "tb" or "tib" => 1L << 40,
            _ => 0,
        };
        if (multiplier == 0 || !decimal.TryParse(s[..end], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount) || amount * multiplier > long.MaxValue)
        {
            throw where.Error($"'{text}' is not a size; write for example '512m', '1g' or a number of bytes");
        }
        return (long)(amount * multiplier);
    }

    /// <summary>Splits a command string the way a POSIX shell splits words (quotes and backslashes), without expanding anything.</summary>
    public static List<string> ShellSplit(string text, Node where)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case ' ' or '\t' or '\n' or '\r':
                    if (inWord)
                    {
                        words.Add(word.ToString());
                        word.Clear();
                        inWord = false;
                    }
                    break;
                case '\'':
                    inWord = true;
                    var close = text.IndexOf('\'', i + 1);
                    if (close < 0)
                    {
                        throw where.Error($"the command '{text}' has an unclosed single quote");
                    }
                    word.Append(text, i + 1, close - i - 1);
                    i = close;
                    break;
                case '"':
                    inWord = true;
                    i++;
                    while (true)
                    {
                        if (i >= text.Length)
                        {
                            throw where.Error($"the command '{text}' has an unclosed double quote");
                        }
                        if (text[i] == '"')
                        {
                            break;
                        }
                        if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] is '"' or '\\' or '$' or '`')
                        {
                            i++;
                        }
                        word.Append(text[i]);
                        i++;
                    }
                    break;
                case '\\':
                    inWord = true;
                    if (i + 1 < text.Length)
                    {
                        i++;
                        word.Append(text[i]);
                    }
                    break;
                default:
                    inWord = true;
                    word.Append(c);
                    break;
            }
        }
        if (inWord)
        {
            words.Add(word.ToString());
        }
        return words;
    }

    public static bool ParseBool(string text, Node where) => text switch
    {
        "true" or "True" or "TRUE" or "yes" or "Yes" or "YES" or "on" or "On" or "ON" => true,
        "false" or "False" or "FALSE" or "no" or "No" or "NO" or "off" or "Off" or "OFF" => false,
        _ => throw where.Error($"'{text}' is not true or false"),
    };

    public static long ParseInteger(string text, Node where, long min = long.MinValue, long max = long.MaxValue) =>
        long.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw where.Error(min == long.MinValue ? $"'{text}' is not a whole number" : $"'{text}' is not a whole number between {min} and {max}");

    public static double ParseCpus(string text, Node where) =>
        double.TryParse(text.Trim(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n) && n >= 0 && n <= 4096
            ? n
            : throw where.Error($"'{text}' is not a number of CPUs such as '0.5' or '2'");

    /// <summary>File modes: <c>0440</c> and <c>0o440</c> are octal (as in compose files), other numbers decimal.</summary>
    public static uint ParseMode(string text, Node where)
    {
        var s = text.Trim();
        var octal = s.StartsWith("0o", StringComparison.OrdinalIgnoreCase) ? s[2..] : s.Length > 1 && s[0] == '0' ? s[1..] : null;
        try
        {
            return octal is null ? uint.Parse(s, NumberStyles.None, CultureInfo.InvariantCulture) : Convert.ToUInt32(octal, 8);
        }
        catch (Exception ex) when (ex is FormatException or OverflowException or ArgumentException)
        {
            throw where.Error($"'{text}' is not a file mode such as 0440");
        }
    }
}
