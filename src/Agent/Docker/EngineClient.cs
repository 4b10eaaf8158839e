using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace ConOps.Agent.Docker;

/// <summary>An error answer of the engine: its status and its own message.</summary>
public sealed class EngineException(HttpStatusCode status, string message) : Exception(message)
{
    public HttpStatusCode StatusCode { get; } = status;

    public bool IsNotFound => StatusCode == HttpStatusCode.NotFound;
}

/// <summary>Reads the engine's own message out of an error answer.</summary>
public static class EngineErrors
{
    public static string Message(System.Net.HttpStatusCode status, string body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return $"{(int)status} {status}";
        }
        // The engine answers {"message": "..."}; the message itself often quotes a URL or a reference.
        try
        {
            if (JsonSerializer.Deserialize(body, EngineJson.Default.EngineErrorBody) is { Message: { } message })
            {
                return message.Trim();
            }
        }
        catch (JsonException)
        {
            // Not JSON (a proxy's page, say): show it as it came.
        }
        return body.Trim();
    }
}

/// <summary>
/// The Docker Engine API calls the agent makes, over the engine's Unix socket (or plain TCP), with
/// source-generated JSON for just the objects involved (<see cref="EngineJson"/>). Paths carry no API
/// version: the engine answers in its own, and every field used here is stable since API 1.41.
/// </summary>
/// <remarks>
/// A general-purpose client was used before; its serializer roots every model of the API, which was more than
/// half of the Native AOT agent's type data and a quarter of its code for a dozen calls (docs/bench/footprint.md).
/// </remarks>
public sealed class EngineClient : IDisposable
{
    /// <summary>How long a call that is not a stream may take (a stop adds its grace period).</summary>
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(100);

    /// <summary>The largest answer read whole: a list of thousands of containers is a few MiB.</summary>
    private const int MaxAnswer = 64 * 1024 * 1024;

    /// <summary>The most of an error body read: engine messages are short, a proxy's error page need not be.</summary>
    private const int MaxErrorBody = 16 * 1024;

    private readonly HttpClient _http;

    public EngineClient(string endpoint)
    {
        var uri = new Uri(endpoint);
        var handler = new SocketsHttpHandler
        {
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
        };
        Uri address;
        switch (uri.Scheme)
        {
            case "unix":
                var socketPath = uri.AbsolutePath;
                handler.ConnectCallback = async (_, ct) =>
                {
                    var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    try
                    {
                        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct);
                        return new NetworkStream(socket, ownsSocket: true);
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }
                };
                address = new Uri("http://localhost/");
                break;
            case "tcp" or "http":
                address = new Uri($"http://{uri.Authority}/");
                break;
            default:
                throw new ArgumentException($"Docker endpoint '{endpoint}' is not supported: use unix:///path/to/docker.sock or tcp://host:port.", nameof(endpoint));
        }
        Endpoint = endpoint;
        _http = new HttpClient(handler)
        {
            BaseAddress = address,
            Timeout = Timeout.InfiniteTimeSpan, // per call instead: see SendAsync
            MaxResponseContentBufferSize = MaxAnswer,
        };
    }

    public string Endpoint { get; }

    public async Task PingAsync(CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Get, "_ping", null, CallTimeout, ct);
    }

    public Task<EngineVersion> VersionAsync(CancellationToken ct) =>
        GetAsync("version", EngineJson.Default.EngineVersion, ct);

    /// <summary>Containers whose labels match all of <paramref name="labels"/> ("key" or "key=value"), stopped ones included.</summary>
    public Task<List<ContainerSummary>> ListContainersAsync(IEnumerable<string> labels, CancellationToken ct) =>
        GetAsync($"containers/json?all=1&filters={Filters(("label", labels))}", EngineJson.Default.ListContainerSummary, ct);

    /// <summary>Containers, stopped ones included, whose name matches the regular expression (the engine's names start with "/").</summary>
    public Task<List<ContainerSummary>> ListContainersNamedAsync(string namePattern, CancellationToken ct) =>
        GetAsync($"containers/json?all=1&filters={Filters(("name", [namePattern]))}", EngineJson.Default.ListContainerSummary, ct);

    public Task<ContainerInspectResponse> InspectContainerAsync(string id, CancellationToken ct) =>
        GetAsync($"containers/{Escape(id)}/json", EngineJson.Default.ContainerInspectResponse, ct);

    public async Task<ContainerCreateResponse> CreateContainerAsync(ContainerCreateRequest request, CancellationToken ct)
    {
        var path = string.IsNullOrEmpty(request.Name) ? "containers/create" : $"containers/create?name={Escape(request.Name)}";
        using var response = await SendAsync(HttpMethod.Post, path, Json(request, EngineJson.Default.ContainerCreateRequest), CallTimeout, ct);
        return await ReadAsync(response, EngineJson.Default.ContainerCreateResponse, ct);
    }

    /// <summary>Starts a container; one already running is left as it is (the engine answers 304).</summary>
    public async Task StartContainerAsync(string id, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Post, $"containers/{Escape(id)}/start", null, CallTimeout, ct);
    }

    /// <summary>Stops a container: its stop signal, then a kill after <paramref name="grace"/>. One already stopped is left as it is.</summary>
    public async Task StopContainerAsync(string id, TimeSpan grace, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Post, $"containers/{Escape(id)}/stop?t={Seconds(grace)}", null, CallTimeout + grace, ct);
    }

    public async Task RestartContainerAsync(string id, TimeSpan grace, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Post, $"containers/{Escape(id)}/restart?t={Seconds(grace)}", null, CallTimeout + grace, ct);
    }

    /// <summary>Removes a container, running or not; its volumes stay.</summary>
    public async Task RemoveContainerAsync(string id, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Delete, $"containers/{Escape(id)}?force=1&v=0", null, CallTimeout, ct);
    }

    public async Task RenameContainerAsync(string id, string name, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Post, $"containers/{Escape(id)}/rename?name={Escape(name)}", null, CallTimeout, ct);
    }

    public async Task UnpauseContainerAsync(string id, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Post, $"containers/{Escape(id)}/unpause", null, CallTimeout, ct);
    }

    /// <summary>
    /// The log stream of a container (timestamps on), split into stdout and stderr unless the container has
    /// a terminal, whose output is one raw stream.
    /// </summary>
    public async Task<ContainerLogStream> ContainerLogsAsync(string id, bool tty, bool follow, string tail, long? sinceSeconds, CancellationToken ct)
    {
        var path = new StringBuilder($"containers/{Escape(id)}/logs?stdout=1&stderr=1&timestamps=1&tail={Escape(tail)}");
        if (follow)
        {
            path.Append("&follow=1");
        }
        if (sinceSeconds is { } since)
        {
            path.Append(CultureInfo.InvariantCulture, $"&since={since}");
        }
        var response = await SendAsync(HttpMethod.Get, path.ToString(), null, null, ct);
        try
        {
            var body = await response.Content.ReadAsStreamAsync(ct);
            return new ContainerLogStream(response, body, multiplexed: !tty);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    public Task<List<NetworkSummary>> ListNetworksAsync(IEnumerable<string> labels, CancellationToken ct)
    {
        var filter = labels.ToList();
        return GetAsync(filter.Count == 0 ? "networks" : $"networks?filters={Filters(("label", filter))}", EngineJson.Default.ListNetworkSummary, ct);
    }

    /// <summary>Creates a network; <see cref="EngineException"/> with 409 when one of that name exists.</summary>
    public async Task CreateNetworkAsync(NetworkCreateRequest request, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Post, "networks/create", Json(request, EngineJson.Default.NetworkCreateRequest), CallTimeout, ct);
    }

    public async Task DeleteNetworkAsync(string id, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Delete, $"networks/{Escape(id)}", null, CallTimeout, ct);
    }

    public async Task ConnectNetworkAsync(string network, NetworkConnectRequest request, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Post, $"networks/{Escape(network)}/connect", Json(request, EngineJson.Default.NetworkConnectRequest), CallTimeout, ct);
    }

    /// <summary>Creates a named volume; the engine returns an existing local volume of that name unchanged.</summary>
    public async Task CreateVolumeAsync(VolumeCreateRequest request, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Post, "volumes/create", Json(request, EngineJson.Default.VolumeCreateRequest), CallTimeout, ct);
    }

    /// <summary>The image by reference or id; <see cref="EngineException"/> with 404 when the engine has none.</summary>
    public Task<ImageInspectResponse> InspectImageAsync(string image, CancellationToken ct) =>
        GetAsync($"images/{Escape(image)}/json", EngineJson.Default.ImageInspectResponse, ct);

    /// <summary>
    /// Pulls an image and waits for the pull to end. Returns the error the engine reported in the progress
    /// stream (a failed layer, a refused manifest), or null; an error before the stream starts throws.
    /// </summary>
    public async Task<string?> PullImageAsync(string fromImage, string tag, RegistryAuth? auth, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"images/create?fromImage={Escape(fromImage)}&tag={Escape(tag)}");
        if (auth is not null)
        {
            // The engine decodes this header as base64url JSON; it is never logged.
            request.Headers.Add("X-Registry-Auth", Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(auth, EngineJson.Default.RegistryAuth)).Replace('+', '-').Replace('/', '_'));
        }
        using var response = await SendAsync(request, null, ct);
        string? error = null;
        await foreach (var progress in ReadLinesAsync(response, EngineJson.Default.PullProgress, ct))
        {
            error ??= progress.ErrorDetail?.Message is { Length: > 0 } detail ? detail : progress.Error is { Length: > 0 } e ? e : null;
        }
        return error;
    }

    /// <summary>Follows the engine's event stream for container events matching the filters until it ends or is cancelled.</summary>
    public async Task MonitorEventsAsync(IEnumerable<string> labels, IEnumerable<string> actions, Action<EventMessage> onEvent, CancellationToken ct)
    {
        var path = $"events?filters={Filters(("type", ["container"]), ("label", labels), ("event", actions))}";
        using var response = await SendAsync(HttpMethod.Get, path, null, null, ct);
        await foreach (var message in ReadLinesAsync(response, EngineJson.Default.EventMessage, ct))
        {
            onEvent(message);
        }
    }

    public void Dispose() => _http.Dispose();

    private async Task<T> GetAsync<T>(string path, JsonTypeInfo<T> type, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Get, path, null, CallTimeout, ct);
        return await ReadAsync(response, type, ct);
    }

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content, TimeSpan? timeout, CancellationToken ct) =>
        SendAsync(new HttpRequestMessage(method, path) { Content = content }, timeout, ct, disposeRequest: true);

    /// <summary>
    /// Sends a request and returns the answer once its headers arrived; an error status becomes an
    /// <see cref="EngineException"/> with the engine's message, a call over its time a <see cref="TimeoutException"/>.
    /// A null timeout is a stream: only the caller ends it.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, TimeSpan? timeout, CancellationToken ct, bool disposeRequest = false)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (timeout is { } t)
        {
            limit.CancelAfter(t);
        }
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, timeout is null ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead, limit.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"the Docker engine did not answer {request.Method} /{request.RequestUri} within {timeout!.Value.TotalSeconds:0} s");
        }
        finally
        {
            if (disposeRequest)
            {
                request.Dispose();
            }
        }
        if (response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.NotModified)
        {
            return response;
        }
        using (response)
        {
            throw new EngineException(response.StatusCode, await ErrorMessageAsync(response, ct));
        }
    }

    private static async Task<string> ErrorMessageAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var buffer = new byte[MaxErrorBody];
        var length = 0;
        await using (var body = await response.Content.ReadAsStreamAsync(ct))
        {
            int read;
            while (length < buffer.Length && (read = await body.ReadAsync(buffer.AsMemory(length), ct)) > 0)
            {
                length += read;
            }
        }
        return EngineErrors.Message(response.StatusCode, Encoding.UTF8.GetString(buffer, 0, length));
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> type, CancellationToken ct)
    {
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        return await JsonSerializer.DeserializeAsync(body, type, ct)
            ?? throw new InvalidDataException($"the Docker engine answered {response.RequestMessage?.RequestUri} with null");
    }

    /// <summary>A stream of JSON objects, one per line (events, pull progress).</summary>
    private static async IAsyncEnumerable<T> ReadLinesAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> type, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        using var reader = new StreamReader(body, Encoding.UTF8);
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (!string.IsNullOrWhiteSpace(line) && JsonSerializer.Deserialize(line, type) is { } item)
            {
                yield return item;
            }
        }
    }

    private static StringContent Json<T>(T value, JsonTypeInfo<T> type) =>
        new(JsonSerializer.Serialize(value, type), Encoding.UTF8, "application/json");

    /// <summary>The engine's filter query value: <c>{"label":["a=b"],...}</c>, URL-escaped; empty filters are left out.</summary>
    private static string Filters(params (string Name, IEnumerable<string> Values)[] filters)
    {
        var map = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (name, values) in filters)
        {
            var list = values.ToList();
            if (list.Count > 0)
            {
                map[name] = list;
            }
        }
        return Escape(JsonSerializer.Serialize(map, EngineJson.Default.DictionaryStringListString));
    }

    private static string Seconds(TimeSpan grace) =>
        ((long)Math.Max(0, Math.Ceiling(grace.TotalSeconds))).ToString(CultureInfo.InvariantCulture);

    private static string Escape(string value) => Uri.EscapeDataString(value);
}

/// <summary>
/// A container's log output. Without a terminal the engine frames each chunk with an 8-byte header: the
/// stream (1 stdout, 2 stderr) and the chunk's length; with one it sends the raw bytes of a single stream.
/// </summary>
public sealed class ContainerLogStream(HttpResponseMessage response, Stream body, bool multiplexed) : IAsyncDisposable, IDisposable
{
    private readonly byte[] _header = new byte[8];
    private int _remaining;
    private bool _stderr;

    /// <summary>Reads the next bytes of one stream into <paramref name="buffer"/>; 0 at the end.</summary>
    public async Task<(int Count, bool StdErr)> ReadAsync(Memory<byte> buffer, CancellationToken ct)
    {
        if (!multiplexed)
        {
            return (await body.ReadAsync(buffer, ct), false);
        }
        while (_remaining == 0)
        {
            if (!await FillAsync(_header, ct))
            {
                return (0, false);
            }
            _stderr = _header[0] == 2;
            _remaining = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(_header.AsSpan(4));
        }
        var read = await body.ReadAsync(buffer[..Math.Min(buffer.Length, _remaining)], ct);
        if (read == 0)
        {
            return (0, false);
        }
        _remaining -= read;
        return (read, _stderr);
    }

    /// <summary>Reads a whole header; false when the stream ended cleanly before it.</summary>
    private async Task<bool> FillAsync(byte[] target, CancellationToken ct)
    {
        var filled = 0;
        while (filled < target.Length)
        {
            var read = await body.ReadAsync(target.AsMemory(filled), ct);
            if (read == 0)
            {
                return filled == 0 ? false : throw new EndOfStreamException("the Docker engine's log stream ended inside a frame header");
            }
            filled += read;
        }
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await body.DisposeAsync();
        response.Dispose();
    }

    public void Dispose()
    {
        body.Dispose();
        response.Dispose();
    }
}
