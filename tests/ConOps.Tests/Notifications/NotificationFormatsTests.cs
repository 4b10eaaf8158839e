using System.Text;
using ConOps.Console.Notifications;

namespace ConOps.Tests.Notifications;

/// <summary>Golden files: the exact request each kind of target receives (Notifications/testdata/&lt;case&gt;.http, read from the source tree).</summary>
public sealed class NotificationFormatsTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 26, 8, 30, 0, TimeSpan.Zero);
    private static readonly Condition Failed = new(NotificationEvents.SyncFailed, "shop", null, null, "compose.yaml:3:12: unexpected end of flow sequence");

    [Theory]
    [InlineData("webhook-opened", NotificationFormats.Webhook, "https://hooks.example/conops", "wh-token")]
    [InlineData("ntfy-opened", NotificationFormats.Ntfy, "https://ntfy.example/ops-alerts", null)]
    [InlineData("gotify-opened", NotificationFormats.Gotify, "https://gotify.example", "gotify-app-token")]
    [InlineData("discord-opened", NotificationFormats.Discord, "https://discord.example/api/webhooks/1/abc", null)]
    [InlineData("slack-opened", NotificationFormats.Slack, "https://hooks.slack.example/services/T/B/x", null)]
    public async Task Each_kind_gets_the_request_its_service_expects(string @case, string kind, string url, string? token)
    {
        using var request = NotificationFormats.Build(kind, new Uri(url), token, NotificationMessage.Opened(Failed, At));

        var expected = await File.ReadAllTextAsync(Path.Combine(TestData, @case + ".http"));
        Assert.Equal(expected.ReplaceLineEndings("\n").TrimEnd(), (await Render(request)).TrimEnd());
    }

    [Fact]
    public void A_resolved_message_says_how_long_the_incident_lasted()
    {
        var message = NotificationMessage.Resolved(Failed with { Host = "edge-1" }, At, At.AddMinutes(75));

        Assert.Equal("resolved", message.State);
        Assert.Equal("Resolved: sync failed, app shop on host edge-1", message.Title);
        Assert.StartsWith("Back to normal after 1 h 15 min.", message.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_kind_is_refused_with_the_valid_ones()
    {
        var error = Assert.Throws<ArgumentException>(() => NotificationFormats.Build("pager", new Uri("https://x.example"), null, NotificationMessage.Test("t", At)));
        Assert.Contains("webhook, ntfy, gotify, discord, slack", error.Message, StringComparison.Ordinal);
    }

    private static string TestData
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ConOps.sln")))
            {
                dir = dir.Parent;
            }
            return Path.Combine(dir!.FullName, "tests", "ConOps.Tests", "Notifications", "testdata");
        }
    }

    private static async Task<string> Render(HttpRequestMessage request)
    {
        var text = new StringBuilder($"{request.Method} {request.RequestUri}\n");
        foreach (var (name, values) in request.Headers.OrderBy(h => h.Key, StringComparer.Ordinal))
        {
            text.Append($"{name}: {string.Join(", ", values)}\n");
        }
        text.Append($"Content-Type: {request.Content!.Headers.ContentType}\n\n");
        text.Append(await request.Content.ReadAsStringAsync());
        return text.ToString();
    }
}
