namespace ConOps.Console.Fleet;

/// <summary>The body of <c>POST /api/hosts</c>.</summary>
public sealed record CreateHostRequest(string Name);

/// <summary>
/// What an operator needs to join a new host: the join token (shown only here, once), when it expires, and
/// the exact command and environment for the agent.
/// </summary>
public sealed record JoinInstructions(
    string Host,
    string JoinToken,
    DateTimeOffset ExpiresAt,
    string ConsoleUrl,
    string? CertificateFingerprint,
    IReadOnlyDictionary<string, string> Environment,
    string Command)
{
    public static JoinInstructions For(JoinTicket ticket, AgentListener listener)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ConOps__Agent__ConsoleUrl"] = listener.PublicUrl,
            ["ConOps__Agent__JoinToken"] = ticket.JoinToken,
        };
        if (listener.Certificate is { } certificate)
        {
            environment["ConOps__Agent__CertificateFingerprint"] = certificate.Fingerprint;
        }
        var command = "sudo env " + string.Join(' ', environment.Select(e => $"{e.Key}='{e.Value}'")) + " conops-agent";
        return new JoinInstructions(ticket.Host, ticket.JoinToken, ticket.ExpiresAt, listener.PublicUrl, listener.Certificate?.Fingerprint, environment, command);
    }
}

public static class FleetEndpoints
{
    /// <summary>Host enrollment under <c>/api/hosts</c> (the host list itself is <c>GET /api/hosts</c>).</summary>
    public static IEndpointRouteBuilder MapFleetEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var hosts = endpoints.MapGroup("/api/hosts");

        hosts.MapPost("", async (CreateHostRequest request, HostEnrollment enrollment, AgentListener listener, CancellationToken ct) =>
        {
            var name = request.Name?.Trim() ?? "";
            if (!HostEnrollment.IsValidHostName(name))
            {
                return InvalidName(name);
            }
            var ticket = await enrollment.IssueJoinTokenAsync(name, replaceEnrolled: false, ct);
            return ticket is null
                ? Results.Problem(
                    $"Host '{name}' already has an enrolled agent. To enroll a new agent for it, POST /api/hosts/{name}/join-token; to cut the current one off, POST /api/hosts/{name}/revoke.",
                    statusCode: StatusCodes.Status409Conflict)
                : Results.Created($"/api/hosts/{name}", JoinInstructions.For(ticket, listener));
        });

        hosts.MapGet("/{name}", (string name, FleetState fleet) =>
            fleet.Hosts.FirstOrDefault(h => h.Name == name) is { } host ? Results.Ok(host) : UnknownHost(name));

        hosts.MapPost("/{name}/join-token", async (string name, HostEnrollment enrollment, FleetState fleet, AgentListener listener, CancellationToken ct) =>
        {
            if (!fleet.Hosts.Any(h => h.Name == name))
            {
                return UnknownHost(name);
            }
            var ticket = await enrollment.IssueJoinTokenAsync(name, replaceEnrolled: true, ct);
            return Results.Ok(JoinInstructions.For(ticket!, listener));
        });

        hosts.MapPost("/{name}/revoke", async (string name, HostEnrollment enrollment, CancellationToken ct) =>
            await enrollment.RevokeAsync(name, ct) ? Results.NoContent() : UnknownHost(name));

        hosts.MapPost("/{name}/rotate", async (string name, HostEnrollment enrollment, FleetState fleet, CancellationToken ct) =>
        {
            if (!fleet.Hosts.Any(h => h.Name == name))
            {
                return UnknownHost(name);
            }
            return await enrollment.RotateAsync(name, ct)
                ? Results.Accepted()
                : Results.Problem($"Host '{name}' has no connected agent; a credential can only be rotated while the agent is connected. Revoke it and enroll again instead.", statusCode: StatusCodes.Status409Conflict);
        });

        return endpoints;
    }

    private static IResult InvalidName(string name) => Results.Problem(
        $"'{name}' is not a valid host name: use 1-63 lower-case letters, digits, '.', '-' or '_', starting and ending with a letter or digit.",
        statusCode: StatusCodes.Status400BadRequest);

    private static IResult UnknownHost(string name) =>
        Results.Problem($"No host named '{name}'.", statusCode: StatusCodes.Status404NotFound);
}
