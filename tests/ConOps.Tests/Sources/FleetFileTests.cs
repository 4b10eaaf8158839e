using System.Text.Json;
using ConOps.Console.Apps;

namespace ConOps.Tests.Sources;

/// <summary>
/// Golden files: <c>testdata/fleet/&lt;case&gt;/fleet.yaml</c> -> <c>expected.json</c> (the parsed declaration) or
/// <c>expected-error.txt</c>. Set CONOPS_UPDATE_GOLDEN=1 to rewrite them after a deliberate change, then review the diff.
/// </summary>
public sealed class FleetFileTests
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    [Theory]
    [InlineData("full")]
    [InlineData("broken-yaml")]
    [InlineData("invalid-apps")]
    [InlineData("unknown-field")]
    public void Parses_the_fleet_file_into_hosts_and_apps_or_names_every_problem(string name)
    {
        Environment.SetEnvironmentVariable("CONOPS_FLEET_TEST_TOKEN", "token-from-env");
        var folder = Path.Combine(AppContext.BaseDirectory, "testdata", "fleet", name);
        var yaml = File.ReadAllText(Path.Combine(folder, "fleet.yaml"));

        string actual;
        string expectedFile;
        try
        {
            actual = JsonSerializer.Serialize(FleetFile.Parse(yaml, "fleet.yaml"), Json) + "\n";
            expectedFile = "expected.json";
        }
        catch (FleetFileException ex)
        {
            actual = ex.Message + "\n";
            expectedFile = "expected-error.txt";
        }

        var expectedPath = Path.Combine(folder, expectedFile);
        if (Environment.GetEnvironmentVariable("CONOPS_UPDATE_GOLDEN") == "1")
        {
            var source = Path.Combine(FindSourceFolder(), "testdata", "fleet", name, expectedFile);
            File.WriteAllText(source, actual);
        }
        Assert.True(File.Exists(expectedPath), $"{name}: missing {expectedFile}; got:\n{actual}");
        Assert.Equal(File.ReadAllText(expectedPath), actual);
    }

    private static string FindSourceFolder()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ConOps.Tests.csproj")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("ConOps.Tests.csproj not found");
    }
}
