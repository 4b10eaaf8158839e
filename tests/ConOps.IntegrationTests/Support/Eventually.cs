namespace ConOps.IntegrationTests.Support;

/// <summary>Waits for a condition on real parts, and says what it last saw when it gives up.</summary>
public static class Eventually
{
    public static async Task<T> Until<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        T last = default!;
        Exception? lastError = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                last = await probe();
                lastError = null;
                if (done(last))
                {
                    return last;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or InvalidOperationException or TaskCanceledException or Docker.DotNet.DockerApiException)
            {
                lastError = ex;
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0} s waiting for {what}. Last seen: {(lastError is null ? Describe(last) : lastError.Message)}");
    }

    private static string Describe<T>(T value) => value switch
    {
        null => "nothing",
        System.Text.Json.JsonElement json => json.ToString(),
        _ => value.ToString() ?? "",
    };
}
