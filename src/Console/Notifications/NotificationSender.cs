using System.Threading.Channels;
using ConOps.Console.History;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ConOps.Console.Notifications;

/// <summary>The result of one delivery attempt; the error never contains the target's URL or token.</summary>
public sealed record DeliveryResult(bool Delivered, string? Error);

/// <summary>
/// Delivers messages to targets from a bounded queue, retrying with backoff; decrypts target secrets only
/// for the request. Logs name the target, never its URL (webhook URLs carry tokens).
/// </summary>
public sealed partial class NotificationSender(
    IDbContextFactory<ConOpsDb> dbs,
    IDataProtectionProvider protection,
    IHttpClientFactory http,
    IOptions<NotificationOptions> options,
    TimeProvider time,
    ILogger<NotificationSender> log) : BackgroundService
{
    public const string HttpClientName = "notifications";

    private readonly Channel<(long TargetId, NotificationMessage Message)> _queue = Channel.CreateBounded<(long, NotificationMessage)>(
        new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    private IDataProtector Protector => protection.CreateProtector("ConOps.Notifications.Targets.v1");

    public string Protect(string secret) => Protector.Protect(secret);

    public void Enqueue(long targetId, NotificationMessage message) => _queue.Writer.TryWrite((targetId, message));

    /// <summary>One attempt, now (the "send test" endpoint uses it to report the result to the user).</summary>
    public async Task<DeliveryResult> SendAsync(NotificationTargetRecord target, NotificationMessage message, CancellationToken ct)
    {
        string url;
        string? token;
        try
        {
            url = Protector.Unprotect(target.EncryptedUrl);
            token = target.EncryptedToken is null ? null : Protector.Unprotect(target.EncryptedToken);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return new DeliveryResult(false, "the stored URL cannot be decrypted (the console's data protection keys changed); enter the target again");
        }
        using var request = NotificationFormats.Build(target.Kind, new Uri(url), token, message);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.Value.DeliveryTimeout);
        try
        {
            using var response = await http.CreateClient(HttpClientName).SendAsync(request, timeout.Token);
            if (response.IsSuccessStatusCode)
            {
                return new DeliveryResult(true, null);
            }
            var body = await response.Content.ReadAsStringAsync(timeout.Token);
            return new DeliveryResult(false, $"{target.DisplayUrl} answered {(int)response.StatusCode} {response.ReasonPhrase}{(body.Length > 0 ? ": " + Shorten(body) : "")}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new DeliveryResult(false, $"{target.DisplayUrl} did not answer within {options.Value.DeliveryTimeout.TotalSeconds:0} s");
        }
        catch (HttpRequestException ex)
        {
            // The exception text may name the full URL: report the socket error only.
            return new DeliveryResult(false, $"cannot reach {target.DisplayUrl}: {ex.HttpRequestError}");
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var (targetId, message) in _queue.Reader.ReadAllAsync(stoppingToken))
        {
            await using var db = await dbs.CreateDbContextAsync(stoppingToken);
            var target = await db.Set<NotificationTargetRecord>().AsNoTracking().FirstOrDefaultAsync(t => t.Id == targetId, stoppingToken);
            if (target is null || !target.Enabled)
            {
                continue;
            }
            for (var attempt = 1; ; attempt++)
            {
                var result = await SendAsync(target, message, stoppingToken);
                if (result.Delivered)
                {
                    LogDelivered(target.Name, message.Title);
                    break;
                }
                if (attempt >= options.Value.DeliveryAttempts)
                {
                    LogDropped(target.Name, message.Title, attempt, result.Error);
                    break;
                }
                LogRetrying(target.Name, result.Error);
                await Task.Delay(TimeSpan.FromSeconds(Math.Pow(3, attempt - 1) * 2), time, stoppingToken);
            }
        }
    }

    private static string Shorten(string text) => text.Length <= 200 ? text.Trim() : text[..200].Trim() + "…";

    [LoggerMessage(Level = LogLevel.Information, Message = "Notification sent to {Target}: {Title}")]
    private partial void LogDelivered(string target, string title);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Notification to {Target} failed, retrying: {Error}")]
    private partial void LogRetrying(string target, string? error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Notification to {Target} dropped after {Attempts} attempt(s): {Title}: {Error}")]
    private partial void LogDropped(string target, string title, int attempts, string? error);
}
