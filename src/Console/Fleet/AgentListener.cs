using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace ConOps.Console.Fleet;

/// <summary>
/// The agent port as configured: its URL, the certificate it serves (null for explicitly allowed plain
/// http), and the URL put into join commands.
/// </summary>
public sealed class AgentListener(Uri url, AgentCertificate? certificate, string publicUrl)
{
    public Uri Url { get; } = url;

    public AgentCertificate? Certificate { get; } = certificate;

    /// <summary>The URL remote agents dial (ConOps:Fleet:PublicAgentUrl, or the listen URL with a wildcard address replaced by this machine's name).</summary>
    public string PublicUrl { get; } = publicUrl;

    /// <summary>The URL an agent on this machine dials (all-in-one mode).</summary>
    public string LoopbackUrl => new UriBuilder(Url) { Host = Url.Host is "0.0.0.0" or "*" or "+" or "[::]" ? "127.0.0.1" : Url.Host }.Uri.ToString().TrimEnd('/');

    /// <summary>
    /// Reads the agent URL and fleet options, loads or generates the certificate (TLS is the default), and
    /// refuses plain http unless it was explicitly allowed.
    /// </summary>
    public static AgentListener Create(IConfiguration configuration, string agentUrl, string dataDirectory)
    {
        var options = configuration.GetSection(FleetOptions.Section).Get<FleetOptions>() ?? new FleetOptions();
        var url = new Uri(agentUrl);
        var publicUrl = options.PublicAgentUrl.Length > 0
            ? options.PublicAgentUrl.TrimEnd('/')
            : new UriBuilder(url) { Host = url.Host is "0.0.0.0" or "*" or "+" or "[::]" ? Environment.MachineName.ToLowerInvariant() : url.Host }.Uri.ToString().TrimEnd('/');
        if (url.Scheme == Uri.UriSchemeHttps)
        {
            var certificate = AgentCertificate.LoadOrCreate(options.Certificate, dataDirectory, [url.Host, new Uri(publicUrl).Host]);
            return new AgentListener(url, certificate, publicUrl);
        }
        if (!options.AllowPlaintextAgents)
        {
            throw new InvalidOperationException(
                $"ConOps:Console:AgentUrl is {agentUrl}: plain http would send agent credentials unencrypted. Use https:// (the console generates and keeps its own certificate), or set ConOps:Fleet:AllowPlaintextAgents=true for a loopback-only setup.");
        }
        return new AgentListener(url, null, publicUrl);
    }

    /// <summary>HTTP/2 only (gRPC); TLS with the agent certificate unless plain http was allowed.</summary>
    public void Configure(ListenOptions listen)
    {
        listen.Protocols = HttpProtocols.Http2;
        if (Certificate is not null)
        {
            listen.UseHttps(Certificate.Certificate);
        }
    }
}
