using System.Text;

namespace ConOps.Console.Components.Logs;

/// <summary>A run of log text in one style; <see cref="Css"/> is empty for plain text.</summary>
public readonly record struct StyledRun(string Text, string Css);

/// <summary>
/// Splits a log line on ANSI SGR escapes (colours, bold, underline) into styled runs and drops every other
/// escape sequence, so colourful container output reads as it does in a terminal and never injects markup.
/// </summary>
public static class AnsiText
{
    private const char Escape = '\u001b';

    public static List<StyledRun> Parse(string line)
    {
        var runs = new List<StyledRun>();
        if (line.IndexOf(Escape) < 0)
        {
            runs.Add(new StyledRun(line, ""));
            return runs;
        }
        var style = new Style();
        var text = new StringBuilder();
        var i = 0;
        while (i < line.Length)
        {
            if (line[i] != Escape)
            {
                text.Append(line[i++]);
                continue;
            }
            // CSI: ESC [ parameters final-byte. Anything else after ESC: skip the one following character.
            if (i + 1 < line.Length && line[i + 1] == '[')
            {
                var end = i + 2;
                while (end < line.Length && line[end] is >= '0' and <= '?')
                {
                    end++;
                }
                if (end >= line.Length)
                {
                    break;
                }
                if (line[end] == 'm')
                {
                    Flush(runs, text, style);
                    style = style.Apply(line[(i + 2)..end]);
                }
                i = end + 1;
            }
            else
            {
                i += 2;
            }
        }
        Flush(runs, text, style);
        return runs;
    }

    /// <summary>The line without any escape sequence, for search and download.</summary>
    public static string Plain(string line) =>
        line.IndexOf(Escape) < 0 ? line : string.Concat(Parse(line).Select(r => r.Text));

    private static void Flush(List<StyledRun> runs, StringBuilder text, Style style)
    {
        if (text.Length > 0)
        {
            runs.Add(new StyledRun(text.ToString(), style.Css));
            text.Clear();
        }
    }

    private readonly record struct Style(string? Foreground = null, string? Background = null, bool Bold = false, bool Dim = false, bool Italic = false, bool Underline = false)
    {
        public string Css => string.Join(' ', new[]
        {
            Foreground is null ? null : "ansi-fg-" + Foreground,
            Background is null ? null : "ansi-bg-" + Background,
            Bold ? "ansi-bold" : null,
            Dim ? "ansi-dim" : null,
            Italic ? "ansi-italic" : null,
            Underline ? "ansi-underline" : null,
        }.Where(c => c is not null));

        public Style Apply(string parameters)
        {
            var style = this;
            foreach (var part in parameters.Length == 0 ? ["0"] : parameters.Split(';'))
            {
                if (!int.TryParse(part, out var code))
                {
                    continue;
                }
                style = code switch
                {
                    0 => new Style(),
                    1 => style with { Bold = true },
                    2 => style with { Dim = true },
                    3 => style with { Italic = true },
                    4 => style with { Underline = true },
                    22 => style with { Bold = false, Dim = false },
                    23 => style with { Italic = false },
                    24 => style with { Underline = false },
                    >= 30 and <= 37 => style with { Foreground = (code - 30).ToString(System.Globalization.CultureInfo.InvariantCulture) },
                    39 => style with { Foreground = null },
                    >= 40 and <= 47 => style with { Background = (code - 40).ToString(System.Globalization.CultureInfo.InvariantCulture) },
                    49 => style with { Background = null },
                    >= 90 and <= 97 => style with { Foreground = (code - 90 + 8).ToString(System.Globalization.CultureInfo.InvariantCulture) },
                    >= 100 and <= 107 => style with { Background = (code - 100 + 8).ToString(System.Globalization.CultureInfo.InvariantCulture) },
                    _ => style,
                };
            }
            return style;
        }
    }
}
