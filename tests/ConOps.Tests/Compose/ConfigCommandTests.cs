using ConOps.Console.Compose;
using YamlDotNet.RepresentationModel;

namespace ConOps.Tests.Compose;

public sealed class ConfigCommandTests
{
    private static (int Code, string Output, string Errors) Run(string directory, params string[] args)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        var code = ConfigCommand.Run(["config", .. args], directory, output, errors);
        return (code, output.ToString(), errors.ToString());
    }

    private static TempFolder Project()
    {
        var folder = new TempFolder();
        folder.Write("compose.yaml", "name: demo\nservices:\n  web:\n    image: nginx:${TAG:-1}\n  db:\n    image: postgres\n");
        return folder;
    }

    [Fact]
    public void Prints_the_normalized_model_as_json()
    {
        using var folder = Project();
        var (code, output, errors) = Run(folder.Path, "-f", "compose.yaml");
        Assert.Equal(0, code);
        Assert.Equal("", errors);
        var json = System.Text.Json.Nodes.JsonNode.Parse(output)!;
        Assert.Equal("demo", (string?)json["name"]);
        Assert.Equal("nginx:1", (string?)json["services"]!["web"]!["image"]);
    }

    [Fact]
    public void Prints_yaml_that_reads_back()
    {
        using var folder = Project();
        var (code, output, _) = Run(folder.Path, "--format", "yaml");
        Assert.Equal(0, code);
        var stream = new YamlStream();
        stream.Load(new StringReader(output));
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        Assert.Equal("nginx:1", ((YamlScalarNode)root["services"]["web"]["image"]).Value);
    }

    [Fact]
    public void Prints_one_hash_per_service_with_hash()
    {
        using var folder = Project();
        var (code, output, _) = Run(folder.Path, "--hash");
        Assert.Equal(0, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["db", "web"], lines.Select(l => l.Split(' ')[0]));
        Assert.All(lines, l => Assert.Matches("^[a-z]+ v1:sha256:[0-9a-f]{64}$", l));
    }

    [Fact]
    public void Reads_the_env_file_given_and_changes_the_hash()
    {
        using var folder = Project();
        folder.Write("prod.env", "TAG=2\n");
        var (_, before, _) = Run(folder.Path, "--hash");
        var (code, after, _) = Run(folder.Path, "--hash", "--env-file", "prod.env");
        Assert.Equal(0, code);
        Assert.Equal(before.Split('\n')[0], after.Split('\n')[0]);
        Assert.NotEqual(before.Split('\n')[1], after.Split('\n')[1]);
    }

    [Fact]
    public void Takes_the_project_directory_from_the_option()
    {
        using var folder = Project();
        var (code, output, _) = Run(Path.GetTempPath(), "--project-directory", folder.Path, "--hash");
        Assert.Equal(0, code);
        Assert.StartsWith("db v1:sha256:", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_input_prints_the_error_with_its_place_and_exits_non_zero()
    {
        using var folder = new TempFolder();
        folder.Write("compose.yaml", "services:\n  web:\n    image: nginx\n    ports: [\"http:80\"]\n");
        var (code, output, errors) = Run(folder.Path);
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Equal("error: compose.yaml:4:13: service 'web': 'http' in 'http:80' is not a port number (1-65535)\n", errors.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Unknown_arguments_print_the_usage()
    {
        using var folder = Project();
        var (code, _, errors) = Run(folder.Path, "--frobnicate");
        Assert.Equal(2, code);
        Assert.Contains("unknown argument '--frobnicate'", errors, StringComparison.Ordinal);
        Assert.Contains("usage: conops-console config", errors, StringComparison.Ordinal);
    }

    [Fact]
    public void Warnings_go_to_standard_error()
    {
        using var folder = new TempFolder();
        folder.Write("compose.yaml", "version: '3'\nservices:\n  web:\n    image: nginx\n");
        var (code, _, errors) = Run(folder.Path);
        Assert.Equal(0, code);
        Assert.Equal("warning: compose.yaml: the 'version' key is obsolete and ignored\n", errors.ReplaceLineEndings("\n"));
    }
}
