using System.Runtime.CompilerServices;
using ConOps.Console.Compose;

namespace ConOps.Tests.Compose;

/// <summary>
/// One folder per case under testdata/compose: the compose files and their neighbours, optional <c>args</c>
/// (arguments of the config command), optional <c>variables.env</c> (the app's variables), and either
/// <c>expected.json</c> (the normalized model, the project folder written as <c>{project}</c>) or
/// <c>expected-error.txt</c> (the exact message a user sees).
/// </summary>
public sealed class ComposeGoldenTests
{
    private static string CasesDirectory => Path.Combine(AppContext.BaseDirectory, "testdata", "compose");

    [Theory]
    [InlineData("minimal")]
    [InlineData("anchors")]
    [InlineData("interpolation")]
    [InlineData("override-discovered")]
    [InlineData("docker-compose-names")]
    [InlineData("multiple-files")]
    [InlineData("reset-override-tags")]
    [InlineData("extends")]
    [InlineData("include")]
    [InlineData("profiles")]
    [InlineData("profiles-all")]
    [InlineData("ports")]
    [InlineData("volumes")]
    [InlineData("environment")]
    [InlineData("networks")]
    [InlineData("network-mode")]
    [InlineData("depends-on")]
    [InlineData("healthcheck")]
    [InlineData("resources")]
    [InlineData("service-fields")]
    [InlineData("secrets-configs")]
    [InlineData("build")]
    [InlineData("equivalent-forms")]
    [InlineData("homelab")]
    public void Normalizes(string name)
    {
        var (request, directory) = Request(name);
        var json = ProjectRenderer.ToJson(ComposeLoader.Load(request));
        foreach (var (_, service) in json["services"]!.AsObject())
        {
            // Build contexts are absolute, so these hashes differ from one clone to another; HashStabilityTests pins the others.
            if (service!.ToJsonString().Contains(directory.Replace("\\", "\\\\", StringComparison.Ordinal), StringComparison.Ordinal))
            {
                service["config_hash"] = "(depends on the project folder)";
            }
        }
        var actual = json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
        Compare(name, "expected.json", actual.Replace(directory, "{project}", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("error-broken-yaml")]
    [InlineData("error-unknown-field")]
    [InlineData("error-unknown-top-level")]
    [InlineData("error-unsupported-field")]
    [InlineData("error-wrong-type")]
    [InlineData("error-invalid-port")]
    [InlineData("error-port-range-mismatch")]
    [InlineData("error-invalid-volume")]
    [InlineData("error-no-image")]
    [InlineData("error-undefined-network")]
    [InlineData("error-undefined-volume")]
    [InlineData("error-undefined-secret")]
    [InlineData("error-undefined-dependency")]
    [InlineData("error-dependency-disabled-by-profile")]
    [InlineData("error-depends-on-cycle")]
    [InlineData("error-extends-cycle")]
    [InlineData("error-path-escape")]
    [InlineData("error-alias-bomb")]
    [InlineData("error-nesting-depth")]
    [InlineData("error-required-variable")]
    [InlineData("error-invalid-interpolation")]
    [InlineData("error-duplicate-key")]
    [InlineData("error-two-documents")]
    [InlineData("error-include-conflict")]
    [InlineData("error-bad-duration")]
    [InlineData("error-bad-size")]
    [InlineData("error-network-mode-and-networks")]
    [InlineData("error-missing-env-file")]
    [InlineData("error-no-compose-file")]
    public void Rejects(string name)
    {
        var (request, _) = Request(name);
        var error = Assert.Throws<ComposeException>(() => ComposeLoader.Load(request));
        Compare(name, "expected-error.txt", error.Message + "\n");
    }

    [Fact]
    public void Every_case_folder_has_a_test()
    {
        var listed = typeof(ComposeGoldenTests).GetMethods()
            .SelectMany(m => m.GetCustomAttributes(typeof(InlineDataAttribute), false).Cast<InlineDataAttribute>())
            .SelectMany(a => a.GetData(null!).Select(d => (string)d[0]))
            .ToHashSet();
        var folders = Directory.GetDirectories(CasesDirectory).Select(Path.GetFileName).ToHashSet();
        Assert.Empty(folders.Except(listed));
        Assert.Empty(listed.Except(folders!));
    }

    private static (ComposeLoadRequest Request, string Directory) Request(string name)
    {
        var directory = Path.Combine(CasesDirectory, name);
        var argsFile = Path.Combine(directory, "args");
        var args = File.Exists(argsFile) ? File.ReadAllText(argsFile).Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries) : [];
        var request = ConfigOptions.Parse(args).ToRequest(directory);
        var variablesFile = Path.Combine(directory, "variables.env");
        if (File.Exists(variablesFile))
        {
            var variables = File.ReadAllLines(variablesFile).Where(l => l.Contains('=', StringComparison.Ordinal))
                .ToDictionary(l => l[..l.IndexOf('=', StringComparison.Ordinal)], l => l[(l.IndexOf('=', StringComparison.Ordinal) + 1)..]);
            request = request with { Variables = variables };
        }
        return (request, directory);
    }

    /// <summary>Compares with the golden file; CONOPS_UPDATE_GOLDEN=1 rewrites it in the source tree instead (review the diff).</summary>
    private static void Compare(string name, string file, string actual, [CallerFilePath] string source = "")
    {
        if (System.Environment.GetEnvironmentVariable("CONOPS_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(Path.Combine(Path.GetDirectoryName(source)!, "..", "testdata", "compose", name, file), actual);
            return;
        }
        var expectedPath = Path.Combine(CasesDirectory, name, file);
        Assert.True(File.Exists(expectedPath), $"{name}: {file} is missing");
        Assert.Equal(File.ReadAllText(expectedPath), actual);
    }
}
