using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using ConOps.Console.Fleet;
using Microsoft.Extensions.Options;

namespace ConOps.Console.Logs;

public static class LogEndpoints
{
    /// <summary>
    /// <c>GET /api/logs/{host}/{app}/{service}?tail=N&amp;follow=true&amp;format=text|ndjson</c>: the last N lines
    /// (default 100, "all" for everything up to the configured maximum), then new lines while follow is on.
    /// text/plain gives one line per log line; NDJSON (format=ndjson or Accept: application/x-ndjson) gives one
    /// JSON object per line, plus <c>{"dropped":N}</c> and a final <c>{"end":true}</c> record.
    /// </summary>
    public static IEndpointRouteBuilder MapLogEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/logs/{host}/{app}/{service}", async (
            string host, string app, string service, string? tail, bool? follow, string? format,
            HttpContext http, LogHub hub, AgentSessions sessions, IOptions<FleetOptions> options) =>
        {
            var maxTail = options.Value.MaxLogTail;
            int lines;
            if (string.IsNullOrEmpty(tail))
            {
                lines = 100;
            }
            else if (tail == "all")
            {
                lines = -1;
            }
            else if (!int.TryParse(tail, NumberStyles.None, CultureInfo.InvariantCulture, out lines) || lines > maxTail)
            {
                return Results.Problem($"tail must be a number from 0 to {maxTail}, or \"all\".", statusCode: StatusCodes.Status400BadRequest);
            }
            if (!sessions.IsConnected(host))
            {
                return Results.Problem($"Host '{host}' has no connected agent; logs are streamed live from the agent.", statusCode: StatusCodes.Status409Conflict);
            }
            var ndjson = format == "ndjson" || (format is null && http.Request.Headers.Accept.ToString().Contains("application/x-ndjson", StringComparison.OrdinalIgnoreCase));
            await StreamAsync(http, hub.Subscribe(host, app, service, lines, follow ?? false), ndjson);
            return Results.Empty;
        });
        return endpoints;
    }

    private static async Task StreamAsync(HttpContext http, LogSubscription subscription, bool ndjson)
    {
        using var _ = subscription;
        var response = http.Response;
        response.ContentType = ndjson ? "application/x-ndjson; charset=utf-8" : "text/plain; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        // Proxies must not buffer a live stream.
        response.Headers["X-Accel-Buffering"] = "no";
        var body = response.BodyWriter;
        try
        {
            await foreach (var batch in subscription.ReadAllAsync(http.RequestAborted))
            {
                if (ndjson)
                {
                    WriteJson(body, batch);
                }
                else
                {
                    WriteText(body, batch);
                }
                await body.FlushAsync(http.RequestAborted);
                if (batch.End)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client went away; disposing the subscription lets the upstream go too.
        }
    }

    private static void WriteText(PipeWriter body, LogBatch batch)
    {
        if (batch.DroppedLines > 0)
        {
            Write(body, $"[conops] {batch.DroppedLines} line(s) dropped here: this client read more slowly than the container wrote.\n");
        }
        foreach (var line in batch.Lines)
        {
            var length = Encoding.UTF8.GetMaxByteCount(line.Text.Length) + 1;
            var span = body.GetSpan(length);
            var written = Encoding.UTF8.GetBytes(line.Text, span);
            span[written] = (byte)'\n';
            body.Advance(written + 1);
        }
        if (batch.End && batch.Error is not null)
        {
            Write(body, $"[conops] log stream ended: {batch.Error}\n");
        }
    }

    private static void WriteJson(PipeWriter body, LogBatch batch)
    {
        using var json = new Utf8JsonWriter(body, new JsonWriterOptions { SkipValidation = true });
        if (batch.DroppedLines > 0)
        {
            json.WriteStartObject();
            json.WriteNumber("dropped", batch.DroppedLines);
            json.WriteEndObject();
            json.Flush();
            Write(body, "\n");
        }
        foreach (var line in batch.Lines)
        {
            json.Reset();
            json.WriteStartObject();
            json.WriteNumber("line", line.LineNumber);
            if (line.Timestamp is { } timestamp)
            {
                json.WriteString("time", timestamp);
            }
            json.WriteString("stream", line.Stderr ? "stderr" : "stdout");
            json.WriteString("text", line.Text);
            json.WriteEndObject();
            json.Flush();
            Write(body, "\n");
        }
        if (batch.End)
        {
            json.Reset();
            json.WriteStartObject();
            json.WriteBoolean("end", true);
            if (batch.Error is not null)
            {
                json.WriteString("error", batch.Error);
            }
            json.WriteEndObject();
            json.Flush();
            Write(body, "\n");
        }
    }

    private static void Write(PipeWriter body, string text)
    {
        var span = body.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        body.Advance(Encoding.UTF8.GetBytes(text, span));
    }
}
