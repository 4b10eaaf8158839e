using System.Diagnostics;
using ConOps.IntegrationTests.Support;

namespace ConOps.IntegrationTests.Sources;

/// <summary>The real test registries and the docker CLI that pushes to them (logged in through the test docker config).</summary>
public static class TestRegistries
{
    public static string Anonymous => TestEnvironment.Require("CONOPS_TEST_REGISTRY_ANON");

    public static string Basic => TestEnvironment.Require("CONOPS_TEST_REGISTRY_BASIC");

    public static string Bearer => TestEnvironment.Require("CONOPS_TEST_REGISTRY_BEARER");

    public static string User => TestEnvironment.Require("CONOPS_TEST_REGISTRY_USER");

    public static string BasicPassword => TestEnvironment.Require("CONOPS_TEST_REGISTRY_BASIC_PASSWORD");

    public static string BearerPassword => TestEnvironment.Require("CONOPS_TEST_REGISTRY_BEARER_PASSWORD");

    /// <summary>The repository every test registry holds (<c>conops/web:1</c>).</summary>
    public static string SharedRepository => TestEnvironment.Require("CONOPS_TEST_REGISTRY_REPO");

    /// <summary>Tags a local image as <paramref name="reference"/> and pushes it (logging in first when a password is given).</summary>
    public static async Task PushAsync(string localImage, string reference, string? password = null)
    {
        if (password is not null)
        {
            var registry = reference[..reference.IndexOf('/', StringComparison.Ordinal)];
            await DockerAsync(password, "login", registry, "-u", User, "--password-stdin");
        }
        await DockerAsync(null, "tag", localImage, reference);
        await DockerAsync(null, "push", reference);
    }

    /// <summary>Removes a local tag the test created (the image itself stays).</summary>
    public static async Task UntagAsync(string reference)
    {
        try
        {
            await DockerAsync(null, "rmi", reference);
        }
        catch (InvalidOperationException)
        {
        }
    }

    private static async Task DockerAsync(string? stdin, params string[] args)
    {
        var start = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdin is not null };
        start.Environment["DOCKER_CONFIG"] = Path.Combine(TestEnvironment.Require("CONOPS_TEST_STATE"), "docker-config");
        start.Environment["DOCKER_HOST"] = TestEnvironment.DockerHost;
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start the docker CLI");
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"docker {string.Join(' ', args)} failed: {await error}{await output}");
        }
    }
}
