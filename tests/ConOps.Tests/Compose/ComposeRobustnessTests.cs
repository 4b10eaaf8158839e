using ConOps.Console.Compose;

namespace ConOps.Tests.Compose;

/// <summary>
/// Damaged versions of every golden case: each line removed, or its value replaced by a list, a mapping, null
/// or a stray '$'. The loader must either accept the result or explain it with a ComposeException that names
/// a place; any other exception would surface as an internal error instead of a message for the user.
/// </summary>
public sealed class ComposeRobustnessTests
{
    private static readonly string[] Replacements = ["[1, 2]", "{a: b}", "~", "\"$\""];

    [Fact]
    public void Damaged_compose_files_give_a_compose_error_or_load()
    {
        var cases = Path.Combine(AppContext.BaseDirectory, "testdata", "compose");
        var unexpected = new List<string>();
        var attempts = 0;
        foreach (var caseDirectory in Directory.GetDirectories(cases).Order(StringComparer.Ordinal))
        {
            var composeFile = Path.Combine(caseDirectory, "compose.yaml");
            if (!File.Exists(composeFile))
            {
                continue;
            }
            var lines = File.ReadAllLines(composeFile);
            using var folder = new TempFolder();
            CopyFolder(caseDirectory, folder.Path);
            foreach (var variant in Variants(lines))
            {
                attempts++;
                File.WriteAllLines(Path.Combine(folder.Path, "compose.yaml"), variant.Lines);
                try
                {
                    ComposeLoader.Load(new ComposeLoadRequest(folder.Path, [], new Dictionary<string, string>(), [], "app"));
                }
                catch (ComposeException ex)
                {
                    Assert.Matches(@"^(compose\.yaml|[\w./-]+)(:\d+:\d+)?: |^no compose file", ex.Message);
                }
                catch (Exception ex)
                {
                    unexpected.Add($"{Path.GetFileName(caseDirectory)} ({variant.Change}): {ex.GetType().Name}: {ex.Message}");
                }
            }
        }
        Assert.True(attempts > 1000, $"only {attempts} variants were tried");
        Assert.Empty(unexpected);
    }

    private static IEnumerable<(string Change, string[] Lines)> Variants(string[] lines)
    {
        for (var i = 0; i < lines.Length; i++)
        {
            yield return ($"line {i + 1} removed", [.. lines[..i], .. lines[(i + 1)..]]);
            var colon = lines[i].IndexOf(": ", StringComparison.Ordinal);
            var dash = lines[i].TrimStart().StartsWith("- ", StringComparison.Ordinal) ? lines[i].IndexOf("- ", StringComparison.Ordinal) : -1;
            var cut = colon >= 0 ? colon + 2 : dash >= 0 ? dash + 2 : -1;
            if (cut < 0)
            {
                continue;
            }
            foreach (var replacement in Replacements)
            {
                var changed = lines.ToArray();
                changed[i] = lines[i][..cut] + replacement;
                yield return ($"line {i + 1} value -> {replacement}", changed);
            }
        }
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }
}
