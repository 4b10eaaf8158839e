using ConOps.Console.Compose;

namespace ConOps.Tests.Compose;

/// <summary>Limits and confinement that golden folders cannot hold: big files, symbolic links, the process environment.</summary>
public sealed class ComposeBoundsTests
{
    private static ComposeLoadRequest Request(string directory) => new(directory, [], new Dictionary<string, string>(), [], "app");

    [Fact]
    public void A_compose_file_over_one_MiB_is_refused_before_it_is_parsed()
    {
        using var folder = new TempFolder();
        folder.Write("compose.yaml", "services:\n  web:\n    image: nginx\n" + new string('#', ComposeLoader.MaxFileBytes));
        var error = Assert.Throws<ComposeException>(() => ComposeLoader.Load(Request(folder.Path)));
        Assert.Equal("compose.yaml: the file is 1024 KiB; compose files may be at most 1024 KiB", error.Message);
    }

    [Fact]
    public void A_config_file_over_one_MiB_is_refused()
    {
        using var folder = new TempFolder();
        folder.Write("compose.yaml", "services:\n  web:\n    image: nginx\n    configs: [big]\nconfigs:\n  big:\n    file: big.bin\n");
        folder.Write("big.bin", new string('x', 1024 * 1024 + 1));
        var error = Assert.Throws<ComposeException>(() => ComposeLoader.Load(Request(folder.Path)));
        Assert.Equal("compose.yaml:7:11: the file of config 'big' 'big.bin' is 1024 KiB; files used by services may be at most 1024 KiB", error.Message);
    }

    [Fact]
    public void A_symbolic_link_leading_out_of_the_repository_is_refused()
    {
        using var folder = new TempFolder();
        using var outside = new TempFolder();
        outside.Write("secret.txt", "not yours");
        File.CreateSymbolicLink(Path.Combine(folder.Path, "linked"), outside.Path);
        folder.Write("compose.yaml", "services:\n  web:\n    image: nginx\n    volumes:\n      - ./linked/secret.txt:/secret.txt\n");
        var error = Assert.Throws<ComposeException>(() => ComposeLoader.Load(Request(folder.Path)));
        Assert.Equal("compose.yaml:5:9: the bind mount source './linked/secret.txt' is a symbolic link to a place outside the repository folder of this app", error.Message);
    }

    [Fact]
    public void A_symbolic_link_inside_the_repository_is_followed()
    {
        using var folder = new TempFolder();
        folder.Write("conf/real.conf", "ok\n");
        File.CreateSymbolicLink(Path.Combine(folder.Path, "current.conf"), Path.Combine(folder.Path, "conf", "real.conf"));
        folder.Write("compose.yaml", "services:\n  web:\n    image: nginx\n    volumes:\n      - ./current.conf:/etc/app.conf:ro\n");
        var project = ComposeLoader.Load(Request(folder.Path));
        Assert.Equal(ProjectFiles.Digest("ok\n"u8.ToArray()), project.Services[0].Spec.Mounts[0].ContentDigest);
    }

    [Fact]
    public void The_process_environment_is_used_only_when_opted_in()
    {
        var name = "CONOPS_TEST_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        System.Environment.SetEnvironmentVariable(name, "from-process");
        try
        {
            using var folder = new TempFolder();
            folder.Write("compose.yaml", $"services:\n  web:\n    image: nginx\n    environment:\n      VALUE: ${{{name}:-not-used}}\n");
            Assert.Equal("not-used", ComposeLoader.Load(Request(folder.Path)).Services[0].Spec.Environment["VALUE"]);
            Assert.Equal("from-process", ComposeLoader.Load(Request(folder.Path) with { UseProcessEnvironment = true }).Services[0].Spec.Environment["VALUE"]);
        }
        finally
        {
            System.Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public void Many_services_within_the_bounds_load()
    {
        using var folder = new TempFolder();
        var text = new System.Text.StringBuilder("x-base: &base\n  image: nginx\n  restart: always\nservices:\n");
        for (var i = 0; i < 2000; i++)
        {
            text.Append($"  s{i}:\n    <<: *base\n");
        }
        folder.Write("compose.yaml", text.ToString());
        Assert.Equal(2000, ComposeLoader.Load(Request(folder.Path)).Services.Count);
    }
}
