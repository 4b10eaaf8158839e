using System.Text;

namespace ConOps.Console.Compose;

/// <summary>
/// Compose variable substitution: <c>$VAR</c>, <c>${VAR}</c>, <c>${VAR:-default}</c>, <c>${VAR-default}</c>,
/// <c>${VAR:?error}</c>, <c>${VAR?error}</c>, <c>${VAR:+alt}</c>, <c>${VAR+alt}</c> (defaults may nest) and
/// <c>$$</c> for a literal dollar sign.
/// </summary>
internal sealed class Interpolation(Func<string, string?> lookup, ICollection<string> warnings)
{
    private const int MaxNesting = 16;

    /// <summary>Every scalar of the tree substituted; keys are left as written.</summary>
    public Node Apply(Node node) => node switch
    {
        ScalarNode { Value: { } text } scalar when text.Contains('$', StringComparison.Ordinal) => scalar.With(Substitute(text, scalar)),
        SequenceNode seq => seq.With([.. seq.Items.Select(Apply)]),
        MappingNode map => map.With([.. map.Entries.Select(e => new KeyValuePair<ScalarNode, Node>(e.Key, Apply(e.Value)))]),
        _ => node,
    };

    public string Substitute(string text, Node where) => Substitute(text, where, 0);

    private string Substitute(string text, Node where, int nesting)
    {
        if (nesting > MaxNesting)
        {
            throw where.Error($"variable defaults are nested more than {MaxNesting} levels deep");
        }
        var result = new StringBuilder(text.Length);
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c != '$')
            {
                result.Append(c);
                i++;
                continue;
            }
            if (i + 1 >= text.Length)
            {
                throw Invalid(text, where);
            }
            var next = text[i + 1];
            if (next == '$')
            {
                result.Append('$');
                i += 2;
            }
            else if (next == '{')
            {
                var end = ClosingBrace(text, i + 2) ?? throw where.Error($"'{text}' has a '${{' without its closing '}}'");
                result.Append(Expression(text[(i + 2)..end], text, where, nesting));
                i = end + 1;
            }
            else if (IsNameStart(next))
            {
                var end = i + 1;
                while (end < text.Length && IsNameChar(text[end]))
                {
                    end++;
                }
                result.Append(Lookup(text[(i + 1)..end]) ?? "");
                i = end;
            }
            else
            {
                throw Invalid(text, where);
            }
        }
        return result.ToString();
    }

    private string Expression(string body, string text, Node where, int nesting)
    {
        var nameEnd = 0;
        while (nameEnd < body.Length && (nameEnd == 0 ? IsNameStart(body[nameEnd]) : IsNameChar(body[nameEnd])))
        {
            nameEnd++;
        }
        if (nameEnd == 0)
        {
            throw where.Error($"'${{{body}}}' in '{text}' does not start with a variable name");
        }
        var name = body[..nameEnd];
        var rest = body[nameEnd..];
        if (rest.Length == 0)
        {
            return Lookup(name) ?? "";
        }
        var value = lookup(name);
        var colon = rest[0] == ':';
        var op = colon ? rest.Length > 1 ? rest[1] : '\0' : rest[0];
        var word = rest[(colon ? 2 : 1)..];
        // With ':' an empty value counts as unset, without it only a missing variable does.
        var isSet = colon ? !string.IsNullOrEmpty(value) : value is not null;
        return op switch
        {
            '-' => isSet ? value! : Substitute(word, where, nesting + 1),
            '+' => isSet ? Substitute(word, where, nesting + 1) : "",
            '?' => isSet ? value! : throw where.Error(word.Length > 0
                ? $"required variable {name} is missing a value: {Substitute(word, where, nesting + 1)}"
                : $"required variable {name} is not set"),
            _ => throw where.Error($"'${{{body}}}' in '{text}' is not a valid substitution; use ${{{name}}}, ${{{name}:-default}}, ${{{name}:?message}} or ${{{name}:+alternative}}"),
        };
    }

    private string? Lookup(string name)
    {
        var value = lookup(name);
        if (value is null)
        {
            var warning = $"variable {name} is not set; an empty string is used";
            if (!warnings.Contains(warning))
            {
                warnings.Add(warning);
            }
        }
        return value;
    }

    private static int? ClosingBrace(string text, int from)
    {
        var depth = 1;
        for (var i = from; i < text.Length; i++)
        {
            if (text[i] == '$' && i + 1 < text.Length && text[i + 1] == '{')
            {
                depth++;
                i++;
            }
            else if (text[i] == '}' && --depth == 0)
            {
                return i;
            }
        }
        return null;
    }

    private static ComposeException Invalid(string text, Node where) =>
        where.Error($"'{text}' has a '$' that starts no variable; write '$$' for a literal dollar sign");

    private static bool IsNameStart(char c) => c is '_' or (>= 'a' and <= 'z') or (>= 'A' and <= 'Z');

    private static bool IsNameChar(char c) => IsNameStart(c) || c is >= '0' and <= '9';
}
