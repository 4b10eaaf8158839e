using System.Net.Http.Json;
using System.Text.Json;
using ConOps.IntegrationTests.Support;
using Docker.DotNet.Models;

namespace ConOps.IntegrationTests.Sources;

/// <summary>
/// One user story on real parts: a git repository, the console as a process with its local agent on the real
/// engine, and (when the story needs one) an image in a real registry. Cleans up containers and local tags.
/// </summary>
public sealed class SourcesScenario : IAsyncDisposable
{
    public static readonly TimeSpan Converge = TimeSpan.FromSeconds(60);

    private readonly List<string> _localTags = [];

    public DockerEngine Docker { get; } = new();

    public GitRepo Repo { get; } = new();

    public string App { get; } = "src-" + Guid.NewGuid().ToString("N")[..6];

    public int Port { get; } = ConsoleProcess.FreePort();

    public ConsoleProcess Console { get; private set; } = null!;

    public async Task StartConsoleAsync(Dictionary<string, string>? settings = null)
    {
        var all = new Dictionary<string, string>
        {
            ["ConOps:Console:PollInterval"] = "00:00:01",
            ["ConOps:LocalAgent:Enabled"] = "true",
            ["ConOps:Sources:DigestCheckInterval"] = "00:00:02",
            ["ConOps:Sources:MinRetryDelay"] = "00:00:01",
        };
        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }
        Console = await ConsoleProcess.StartAsync(all);
    }

    /// <summary>Pushes a local image to a registry under a tag; the tag is removed locally at the end.</summary>
    public async Task PushAsync(string localImage, string reference, string? password = null)
    {
        await TestRegistries.PushAsync(localImage, reference, password);
        _localTags.Add(reference);
    }

    public async Task CreateAppAsync(object definition)
    {
        var response = await Console.Http.PostAsJsonAsync("/api/apps", definition);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    public Task<JsonElement> AppAsync() => Console.GetJsonAsync($"/api/apps/{App}");

    /// <summary>The app's state on one host, e.g. "deployed", "pending-approval", "paused".</summary>
    public async Task<JsonElement?> TargetAsync(string host = "local")
    {
        foreach (var target in (await AppAsync()).GetProperty("targets").EnumerateArray())
        {
            if (target.GetProperty("host").GetString() == host)
            {
                return target;
            }
        }
        return null;
    }

    public async Task<List<JsonElement>> HistoryAsync(string query = "") =>
        [.. (await Console.GetJsonAsync($"/api/history?app={App}{query}")).EnumerateArray()];

    public async Task<ContainerInspectResponse?> ContainerAsync(string service)
    {
        foreach (var container in await Docker.ManagedContainersAsync(App))
        {
            if (container.Labels.TryGetValue("com.docker.compose.service", out var name) && name == service)
            {
                return await Docker.Client.Containers.InspectContainerAsync(container.ID);
            }
        }
        return null;
    }

    public async Task<ContainerInspectResponse> WaitForContainerAsync(string service, Func<ContainerInspectResponse, bool> condition, string what) =>
        (await Eventually.Until(() => ContainerAsync(service), c => c is not null && c.State.Running && condition(c), Converge, what))!;

    public async Task<string> GetPageAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        return (await http.GetStringAsync($"http://127.0.0.1:{Port}/")).Trim();
    }

    public async ValueTask DisposeAsync()
    {
        if (Console is not null)
        {
            await Console.DisposeAsync();
        }
        await Docker.RemoveAppAsync(App);
        foreach (var tag in _localTags)
        {
            await TestRegistries.UntagAsync(tag);
        }
        Docker.Dispose();
        Repo.Dispose();
    }
}
