using ConOps.Console.Compose;
using ConOps.Contract;
using Google.Protobuf.WellKnownTypes;

namespace ConOps.Tests.Compose;

/// <summary>
/// Pinned config hashes. Agents compare hashes by value, so a change here recreates containers across the
/// fleet: if one of these fails, the change must bump ConfigHash.Version or be undone, never be re-pinned quietly.
/// </summary>
public sealed class HashStabilityTests
{
    private static string CasesDirectory => Path.Combine(AppContext.BaseDirectory, "testdata", "compose");

    [Theory]
    [InlineData("minimal", "hello", "v1:sha256:8382bbe28ceeb08b2ffd32e15fe399b3a9c1a4c816ba53b00214bd753bdc255b")]
    [InlineData("service-fields", "everything", "v1:sha256:150c11e455e40bf55b58054310e4b0385108568a63adb11c7ca87a6ebab4ca63")]
    [InlineData("service-fields", "map-hosts", "v1:sha256:23b60193b1dc4c2f1651f8e022754777dca48e747f81619379302295e790387a")]
    [InlineData("ports", "net", "v1:sha256:0d14d87d33590d5887d4e106e4dc5d0e30c29344b785eedecb80218ac715e684")]
    [InlineData("secrets-configs", "web", "v1:sha256:5a90cf4bbb948bc9d626e2649610a24565c34b3615688144694fbf9383c1f398")]
    [InlineData("resources", "new-style", "v1:sha256:c8734814754d38dad77639f5ed9469d3cbed612c89305c195dcbd783994600e3")]
    [InlineData("resources", "old-style", "v1:sha256:2c18015b62f5bc129293b05b8a254b18847731062586dca238386c89b402f39e")]
    [InlineData("healthcheck", "string-test", "v1:sha256:7837571ac5de233773cfd449edaa8445dff2fdef5e82eb29c6cf316b370c1044")]
    [InlineData("healthcheck", "disabled", "v1:sha256:8efaaa498f5ae3b9adbfd9626a3c3291b42050239c29506dca308d3cc79fe7e2")]
    [InlineData("networks", "proxy", "v1:sha256:b7ed2d0d135537a4a15f3d0b390799f134b5b8717b6d037a222e93b6d15343d8")]
    [InlineData("depends-on", "app", "v1:sha256:ed90254585dcdaec515d969398bc50a8988e85113265426044685f849bc4b250")]
    [InlineData("interpolation", "app", "v1:sha256:9e1b948780eab67c02945b817be85a127b10d69b7a0def9b5e001ae4d30dd0c4")]
    [InlineData("environment", "list-form", "v1:sha256:cceef9ab7ef9cdbd330494111385927006fde290c280b86dc881427c7bcdb815")]
    public void Loaded_services_keep_their_pinned_hash(string folder, string service, string hash)
    {
        var variables = Path.Combine(CasesDirectory, folder, "variables.env");
        var project = ComposeLoader.Load(new ComposeLoadRequest(Path.Combine(CasesDirectory, folder), [], ReadVariables(variables), [], ""));
        Assert.Equal(hash, project.Services.Single(s => s.Spec.Name == service).ConfigHash);
    }

    [Fact]
    public void A_spec_built_in_code_keeps_its_pinned_hash()
    {
        var spec = new ServiceSpec
        {
            Name = "pinned",
            Image = "registry.example.com/app:1",
            ImageDigest = "sha256:0000000000000000000000000000000000000000000000000000000000000001",
            Command = { "serve", "--port", "80" },
            Environment = { ["Z"] = "last", ["A"] = "first" },
            Ports = { new PortBinding { Target = 80, Published = 8080, Protocol = "tcp" } },
            Mounts = { new Mount { Type = "volume", Source = "app_data", Target = "/data", ReadOnly = true } },
            Healthcheck = new Healthcheck { Test = { "CMD-SHELL", "true" }, Interval = Duration.FromTimeSpan(TimeSpan.FromSeconds(90)), Retries = 3 },
            Resources = new Resources { Cpus = 0.5, MemoryBytes = 512L * 1024 * 1024 },
            Ulimits = { ["nofile"] = new Ulimit { Soft = 1024, Hard = 2048 } },
            Init = false,
            StopGracePeriod = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(1500)),
            Secrets = { new FileMount { Source = "token", Target = "/run/secrets/token", Mode = 292, ContentDigest = "sha256:ab" } },
        };
        Assert.Equal("v1:sha256:a2036335860166dbc61b30746cf85d38f89cefc55269f19671d08d24efb90b55", ComposeService.From(spec).ConfigHash);
    }

    [Fact]
    public void Short_and_long_syntax_of_the_same_service_hash_the_same_apart_from_the_name()
    {
        var project = ComposeLoader.Load(new ComposeLoadRequest(Path.Combine(CasesDirectory, "equivalent-forms"), [], new Dictionary<string, string>(), [], ""));
        var shortForm = project.Services.Single(s => s.Spec.Name == "short");
        var longForm = project.Services.Single(s => s.Spec.Name == "long");
        Assert.Equal(["name"], ConfigHash.ChangedFields(shortForm.HashInputs, longForm.HashInputs));
    }

    [Fact]
    public void Changing_a_mounted_file_changes_only_that_service_and_names_the_field()
    {
        using var folder = new TempFolder();
        folder.Write("compose.yaml", "services:\n  web:\n    image: nginx\n    configs: [site]\n  db:\n    image: postgres\nconfigs:\n  site:\n    file: ./site.conf\n");
        folder.Write("site.conf", "listen 80;\n");
        var before = ComposeLoader.Load(new ComposeLoadRequest(folder.Path, [], new Dictionary<string, string>(), [], "app"));
        folder.Write("site.conf", "listen 81;\n");
        var after = ComposeLoader.Load(new ComposeLoadRequest(folder.Path, [], new Dictionary<string, string>(), [], "app"));

        Assert.Equal(before.Services[0].ConfigHash, after.Services[0].ConfigHash);
        Assert.NotEqual(before.Services[1].ConfigHash, after.Services[1].ConfigHash);
        Assert.Equal(["configs"], ConfigHash.ChangedFields(before.Services[1].HashInputs, after.Services[1].HashInputs));
    }

    [Fact]
    public void Changing_an_env_file_changes_the_environment_and_its_digest()
    {
        using var folder = new TempFolder();
        folder.Write("compose.yaml", "services:\n  web:\n    image: nginx\n    env_file: web.env\n");
        folder.Write("web.env", "MODE=a\n");
        var before = ComposeLoader.Load(new ComposeLoadRequest(folder.Path, [], new Dictionary<string, string>(), [], "app"));
        folder.Write("web.env", "MODE=b\n");
        var after = ComposeLoader.Load(new ComposeLoadRequest(folder.Path, [], new Dictionary<string, string>(), [], "app"));

        Assert.Equal(["environment", "sourceDigests"], ConfigHash.ChangedFields(before.Services[0].HashInputs, after.Services[0].HashInputs));
    }

    private static Dictionary<string, string> ReadVariables(string path) => !File.Exists(path)
        ? []
        : File.ReadAllLines(path).Where(l => l.Contains('=', StringComparison.Ordinal))
            .ToDictionary(l => l[..l.IndexOf('=', StringComparison.Ordinal)], l => l[(l.IndexOf('=', StringComparison.Ordinal) + 1)..]);
}
