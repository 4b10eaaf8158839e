namespace ConOps.IntegrationTests.Deploy;

/// <summary>
/// deploy/install-agent.sh into a scratch root file system: it installs the published binary and the
/// systemd unit, writes the join values to a root-only environment file, and uninstalls cleanly. The
/// installed unit passes <c>systemd-analyze verify</c>.
/// </summary>
[Collection(DeployCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class AgentInstallScriptTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "conops-install-" + Guid.NewGuid().ToString("N")[..8]);
    private static string Script => Path.Combine(DeployArtifacts.Root, "deploy", "install-agent.sh");

    [Fact]
    public async Task The_install_script_writes_the_join_values_and_a_valid_unit_and_uninstalls_everything()
    {
        // When the join command's values are installed
        var said = await DeployArtifacts.RunAsync(Script, TimeSpan.FromSeconds(30),
            "--root", _root, "--binary", DeployArtifacts.AgentBinary, "--host-name", "edge-1",
            "--console-url", "https://console.example:8081", "--join-token", "cjt_TestJoinSecret123", "--fingerprint", "SHA256:AB:CD:EF");

        // Then the binary, the unit and a root-only environment file are in place, and the token is not echoed
        Assert.DoesNotContain("cjt_TestJoinSecret123", said, StringComparison.Ordinal);
        var env = Path.Combine(_root, "etc", "conops-agent", "agent.env");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(env));
        var lines = File.ReadAllLines(env);
        Assert.Contains("ConOps__Agent__ConsoleUrl=https://console.example:8081", lines);
        Assert.Contains("ConOps__Agent__JoinToken=cjt_TestJoinSecret123", lines);
        Assert.Contains("ConOps__Agent__CertificateFingerprint=SHA256:AB:CD:EF", lines);
        Assert.Contains("ConOps__Agent__HostName=edge-1", lines);
        var binary = Path.Combine(_root, "usr", "local", "bin", "conops-agent");
        Assert.True(File.GetUnixFileMode(binary).HasFlag(UnixFileMode.UserExecute));
        Assert.Equal("1.0.0", (await DeployArtifacts.RunAsync(binary, TimeSpan.FromSeconds(10), "version")).Trim()[..5]);

        // And systemd accepts the unit as installed (verified in place of the real one: only ExecStart's path
        // differs, since the scratch root is not where systemd looks)
        var unit = Path.Combine(_root, "etc", "systemd", "system", "conops-agent.service");
        var check = Path.Combine(_root, "conops-agent.service");
        File.WriteAllText(check, File.ReadAllText(unit).Replace("ExecStart=/usr/local/bin/conops-agent", $"ExecStart={binary}", StringComparison.Ordinal));
        await DeployArtifacts.RunAsync("systemd-analyze", TimeSpan.FromSeconds(30), "verify", check);

        // When it is uninstalled with --purge
        Directory.CreateDirectory(Path.Combine(_root, "var", "lib", "conops-agent"));
        await DeployArtifacts.RunAsync(Script, TimeSpan.FromSeconds(30), "--root", _root, "--uninstall", "--purge");

        // Then nothing of it is left
        Assert.False(File.Exists(binary));
        Assert.False(File.Exists(unit));
        Assert.False(Directory.Exists(Path.Combine(_root, "etc", "conops-agent")));
        Assert.False(Directory.Exists(Path.Combine(_root, "var", "lib", "conops-agent")));
    }

    [Fact]
    public async Task The_install_script_refuses_a_console_url_that_is_not_http()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => DeployArtifacts.RunAsync(Script, TimeSpan.FromSeconds(30),
            "--root", _root, "--binary", DeployArtifacts.AgentBinary, "--console-url", "console.example:8081", "--join-token", "x"));
        Assert.Contains("must start with http:// or https://", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_root, "etc", "conops-agent", "agent.env")));
    }

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }
}
