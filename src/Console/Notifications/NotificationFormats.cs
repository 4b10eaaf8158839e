using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ConOps.Console.Notifications;

/// <summary>One message: an incident opening or resolving, or a test.</summary>
public sealed record NotificationMessage(string Event, string State, string Title, string Text, string? App, string? Host, string? Service, DateTimeOffset At)
{
    public static NotificationMessage Opened(Condition c, DateTimeOffset at) =>
        new(c.Event, "opened", $"{NotificationEvents.Title(c.Event)}: {c.Where}", c.Summary, c.App, c.Host, c.Service, at);

    public static NotificationMessage Resolved(Condition c, DateTimeOffset openedAt, DateTimeOffset at) =>
        new(c.Event, "resolved", $"Resolved: {NotificationEvents.Title(c.Event).ToLowerInvariant()}, {c.Where}",
            $"Back to normal after {Duration(at - openedAt)}. It was: {c.Summary}", c.App, c.Host, c.Service, at);

    public static NotificationMessage Test(string target, DateTimeOffset at) =>
        new("test", "test", "ConOps test message", $"Notifications to '{target}' work.", null, null, null, at);

    private static string Duration(TimeSpan span) =>
        span.TotalHours >= 1 ? $"{(int)span.TotalHours} h {span.Minutes} min" : span.TotalMinutes >= 1 ? $"{(int)span.TotalMinutes} min" : $"{Math.Max(0, (int)span.TotalSeconds)} s";
}

/// <summary>The request each kind of target expects. Pure: no I/O, so each shape is unit-tested.</summary>
public static class NotificationFormats
{
    public const string Webhook = "webhook";
    public const string Ntfy = "ntfy";
    public const string Gotify = "gotify";
    public const string Discord = "discord";
    public const string Slack = "slack";

    public static IReadOnlyList<string> Kinds { get; } = [Webhook, Ntfy, Gotify, Discord, Slack];

    public static HttpRequestMessage Build(string kind, Uri url, string? token, NotificationMessage message) => kind switch
    {
        Webhook => WithBearer(Json(url, GenericJson(message)), token),
        Ntfy => NtfyRequest(url, token, message),
        Gotify => GotifyRequest(url, token, message),
        Discord => Json(url, new JsonObject { ["username"] = "ConOps", ["content"] = Truncate($"**{message.Title}**\n{message.Text}", 2000) }),
        Slack => Json(url, new JsonObject { ["text"] = $"*{message.Title}*\n{message.Text}" }),
        _ => throw new ArgumentException($"Unknown notification kind '{kind}'. Use one of: {string.Join(", ", Kinds)}.", nameof(kind)),
    };

    /// <summary>The generic webhook's JSON: stable field names for receivers to parse.</summary>
    public static JsonObject GenericJson(NotificationMessage m) => new()
    {
        ["source"] = "conops",
        ["event"] = m.Event,
        ["state"] = m.State,
        ["title"] = m.Title,
        ["message"] = m.Text,
        ["app"] = m.App,
        ["host"] = m.Host,
        ["service"] = m.Service,
        ["at"] = m.At.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
    };

    private static HttpRequestMessage NtfyRequest(Uri url, string? token, NotificationMessage m)
    {
        // ntfy: POST the text to the topic URL; title, priority and tags go in headers.
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(m.Text, Encoding.UTF8, "text/plain") };
        request.Headers.Add("Title", m.Title);
        request.Headers.Add("Priority", m.State == "opened" ? "high" : "default");
        request.Headers.Add("Tags", m.State switch { "opened" => "warning", "resolved" => "white_check_mark", _ => "bell" });
        return WithBearer(request, token);
    }

    private static HttpRequestMessage GotifyRequest(Uri url, string? token, NotificationMessage m)
    {
        // Gotify: POST {server}/message with the application token.
        var endpoint = new Uri(url.AbsoluteUri.TrimEnd('/') + (url.AbsolutePath.EndsWith("/message", StringComparison.Ordinal) ? "" : "/message"));
        var request = Json(endpoint, new JsonObject { ["title"] = m.Title, ["message"] = m.Text, ["priority"] = m.State == "opened" ? 8 : 4 });
        if (!string.IsNullOrEmpty(token))
        {
            request.Headers.Add("X-Gotify-Key", token);
        }
        return request;
    }

    private static HttpRequestMessage Json(Uri url, JsonObject body) =>
        new(HttpMethod.Post, url) { Content = new StringContent(body.ToJsonString(JsonOptions), Encoding.UTF8, "application/json") };

    private static HttpRequestMessage WithBearer(HttpRequestMessage request, string? token)
    {
        if (!string.IsNullOrEmpty(token))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return request;
    }

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";

    private static readonly JsonSerializerOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
