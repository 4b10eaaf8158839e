using ConOps.Contract;

namespace ConOps.Tests.Contract;

public sealed class ConfigHashTests
{
    private static ServiceSpec Web() => new()
    {
        Name = "web",
        Image = "conops-test/web:1",
        Command = { "httpd", "-f" },
        Environment = { ["B"] = "2", ["A"] = "1" },
        Ports = { new PortBinding { Target = 8080, Published = 18080, HostIp = "127.0.0.1", Protocol = "tcp" } },
        Labels = { ["team"] = "demo" },
    };

    [Fact]
    public void Hash_is_versioned_sha256()
    {
        Assert.Matches("^v1:sha256:[0-9a-f]{64}$", ConfigHash.Compute(Web()));
    }

    [Fact]
    public void Map_insertion_order_does_not_change_the_hash()
    {
        var reordered = Web();
        reordered.Environment.Clear();
        reordered.Environment.Add("A", "1");
        reordered.Environment.Add("B", "2");
        Assert.Equal(ConfigHash.Compute(Web()), ConfigHash.Compute(reordered));
    }

    [Fact]
    public void Unset_and_empty_fields_do_not_count_so_new_contract_fields_never_redeploy_old_services()
    {
        var withEmpties = Web();
        withEmpties.Resources = new Resources();
        withEmpties.Healthcheck = new Healthcheck();
        withEmpties.Restart = "";
        Assert.Equal(ConfigHash.Compute(Web()), ConfigHash.Compute(withEmpties));
    }

    [Fact]
    public void Explicit_presence_counts_even_at_the_default_value()
    {
        var initOff = Web();
        initOff.Init = false;
        Assert.NotEqual(ConfigHash.Compute(Web()), ConfigHash.Compute(initOff));
    }

    [Fact]
    public void Every_field_change_changes_the_hash_and_is_named_by_the_inputs()
    {
        var changed = Web();
        changed.Environment["A"] = "changed";
        Assert.NotEqual(ConfigHash.Compute(Web()), ConfigHash.Compute(changed));
        Assert.Equal(["environment"], ConfigHash.ChangedFields(ConfigHash.Inputs(Web()), ConfigHash.Inputs(changed)));
    }

    [Fact]
    public void Hash_from_recorded_inputs_equals_hash_of_the_spec()
    {
        var spec = Web();
        Assert.Equal(ConfigHash.Compute(spec), ConfigHash.FromInputs(ConfigHash.Inputs(spec)));
    }

    [Fact]
    public void Canonical_inputs_are_sorted_json_per_field()
    {
        var inputs = ConfigHash.Inputs(Web());
        Assert.Equal(["command", "environment", "image", "labels", "name", "ports"], inputs.Keys);
        Assert.Equal("""{"A":"1","B":"2"}""", inputs["environment"]);
        Assert.Equal("""[{"hostIp":"127.0.0.1","protocol":"tcp","published":18080,"target":8080}]""", inputs["ports"]);
    }
}
