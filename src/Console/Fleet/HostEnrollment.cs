using System.Text.RegularExpressions;
using ConOps.Console.History;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ConOps.Console.Fleet;

/// <summary>A join token just issued: shown once, never stored in clear.</summary>
public sealed record JoinTicket(string Host, string JoinToken, DateTimeOffset ExpiresAt);

/// <summary>Where a host stands in enrollment, as the API and UI show it.</summary>
public static class EnrollmentState
{
    /// <summary>A join token is outstanding; no agent enrolled yet.</summary>
    public const string Pending = "pending";

    /// <summary>An agent holds a valid credential.</summary>
    public const string Enrolled = "enrolled";

    /// <summary>The host's credentials were revoked; its agent is refused until it enrolls again.</summary>
    public const string Revoked = "revoked";

    /// <summary>Known from history only (deployed to before enrollment existed, or no credential yet).</summary>
    public const string Unenrolled = "unenrolled";
}

/// <summary>
/// Host enrollment: the console creates a host and a one-time join token; the agent trades it (once, before
/// it expires) for a long-lived credential; every session presents that credential. Only hashes are stored.
/// Failures are rate-limited per address and answered with a status that says what to do.
/// </summary>
public sealed partial class HostEnrollment(
    IDbContextFactory<ConOpsDb> dbs,
    FleetState fleet,
    AgentSessions sessions,
    FailureRateLimiter limiter,
    IOptions<FleetOptions> options,
    TimeProvider time,
    ILogger<HostEnrollment> log) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public static bool IsValidHostName(string name) => HostNamePattern().IsMatch(name);

    /// <summary>
    /// Creates the host if needed and issues a new join token (older unused tokens of the host stop working).
    /// Returns null when the host already has an enrolled agent and <paramref name="replaceEnrolled"/> is false.
    /// </summary>
    public async Task<JoinTicket?> IssueJoinTokenAsync(string host, bool replaceEnrolled, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var now = time.GetUtcNow();
            if (!replaceEnrolled && await db.HostCredentials.AnyAsync(c => c.Host == host && c.RevokedAt == null, ct))
            {
                return null;
            }
            if (await db.Hosts.FindAsync([host], ct) is null)
            {
                db.Hosts.Add(new HostRecord { Name = host });
            }
            await foreach (var old in db.JoinTokens.Where(t => t.Host == host && t.UsedAt == null).AsAsyncEnumerable().WithCancellation(ct))
            {
                old.UsedAt = now;
            }
            var token = FleetSecrets.NewJoinToken();
            var ticket = new JoinTicket(host, token, now + options.Value.JoinTokenLifetime);
            db.JoinTokens.Add(new JoinTokenRecord { Hash = FleetSecrets.Hash(token), Host = host, CreatedAt = now, ExpiresAt = ticket.ExpiresAt });
            await db.SaveChangesAsync(ct);
            if (!fleet.Hosts.Any(h => h.Name == host && h.Enrollment == EnrollmentState.Enrolled))
            {
                fleet.HostRegistered(host, EnrollmentState.Pending);
            }
            LogJoinTokenIssued(host, ticket.ExpiresAt);
            return ticket;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Trades a join token for a credential, or throws an <see cref="RpcException"/> saying why not.</summary>
    public async Task<(string Host, string Credential)> EnrollAsync(string joinToken, string agentId, string address, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var now = time.GetUtcNow();
            var token = string.IsNullOrEmpty(joinToken) ? null : await db.JoinTokens.FindAsync([FleetSecrets.Hash(joinToken)], ct);
            var refusal = token switch
            {
                null => "The join token is unknown. Create a host (or a new join token) in the console and use the join command it shows.",
                { UsedAt: not null } => $"The join token for host '{token.Host}' was already used or replaced. Create a new join token for the host in the console.",
                _ when token.ExpiresAt <= now => $"The join token for host '{token.Host}' expired at {token.ExpiresAt:u}. Create a new join token for the host in the console.",
                _ => null,
            };
            if (refusal is not null)
            {
                RefuseIfLimited(address);
                limiter.RecordFailure(address);
                LogEnrollRefused(address, refusal);
                throw new RpcException(new Status(StatusCode.Unauthenticated, refusal));
            }

            var host = token!.Host;
            token.UsedAt = now;
            // A fresh enrollment replaces whatever credential the host had before.
            await foreach (var old in db.HostCredentials.Where(c => c.Host == host && c.RevokedAt == null).AsAsyncEnumerable().WithCancellation(ct))
            {
                old.RevokedAt = now;
                old.RevokedReason = "replaced by a new enrollment";
            }
            var credential = FleetSecrets.NewCredential();
            db.HostCredentials.Add(new HostCredentialRecord { Host = host, Hash = FleetSecrets.Hash(credential), AgentId = agentId, Origin = "join", CreatedAt = now });
            await db.SaveChangesAsync(ct);
            fleet.SetEnrollment(host, EnrollmentState.Enrolled);
            LogEnrolled(host, agentId, address);
            return (host, credential);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The host a session's credential belongs to, or an <see cref="RpcException"/> saying why it is refused.</summary>
    public async Task<string> AuthenticateAsync(string? authorization, string address, CancellationToken ct)
    {
        const string scheme = "Bearer ";
        var credential = authorization is not null && authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? authorization[scheme.Length..].Trim() : "";
        await using var db = await dbs.CreateDbContextAsync(ct);
        var hash = FleetSecrets.Hash(credential);
        var record = credential.Length == 0 ? null : await db.HostCredentials.FirstOrDefaultAsync(c => c.Hash == hash, ct);
        if (record is null || record.RevokedAt is not null)
        {
            RefuseIfLimited(address);
            limiter.RecordFailure(address);
            var status = record is null
                ? new Status(StatusCode.Unauthenticated, credential.Length == 0
                    ? "No agent credential was presented. Enroll the agent with a join token from the console (ConOps:Agent:JoinToken)."
                    : "The agent credential is unknown to this console. Enroll the agent again with a new join token from the console.")
                : new Status(StatusCode.PermissionDenied, $"The credential of host '{record.Host}' was revoked ({record.RevokedReason ?? "by an operator"}) at {record.RevokedAt:u}. Create a new join token for the host in the console and enroll the agent again.");
            LogConnectRefused(address, status.Detail);
            throw new RpcException(status);
        }

        var now = time.GetUtcNow();
        record.LastUsedAt = now;
        // Using a newer credential (after a rotation) retires the older ones.
        await foreach (var older in db.HostCredentials.Where(c => c.Host == record.Host && c.RevokedAt == null && c.Id < record.Id).AsAsyncEnumerable().WithCancellation(ct))
        {
            older.RevokedAt = now;
            older.RevokedReason = "superseded by a rotated credential";
        }
        await db.SaveChangesAsync(ct);
        return record.Host;
    }

    /// <summary>Revokes every credential and unused join token of the host and drops its session. False when the host is unknown.</summary>
    public async Task<bool> RevokeAsync(string host, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            if (await db.Hosts.FindAsync([host], ct) is null && !await db.HostCredentials.AnyAsync(c => c.Host == host, ct))
            {
                return false;
            }
            var now = time.GetUtcNow();
            await foreach (var credential in db.HostCredentials.Where(c => c.Host == host && c.RevokedAt == null).AsAsyncEnumerable().WithCancellation(ct))
            {
                credential.RevokedAt = now;
                credential.RevokedReason = "revoked by an operator";
            }
            await foreach (var token in db.JoinTokens.Where(t => t.Host == host && t.UsedAt == null).AsAsyncEnumerable().WithCancellation(ct))
            {
                token.UsedAt = now;
            }
            await db.SaveChangesAsync(ct);
            sessions.Close(host);
            fleet.SetEnrollment(host, EnrollmentState.Revoked);
            LogRevoked(host);
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Sends the connected agent a new credential; the old one keeps working until the agent connects with
    /// the new one. False when the host has no connected agent (rotation needs one).
    /// </summary>
    public async Task<bool> RotateAsync(string host, CancellationToken ct)
    {
        if (!sessions.IsConnected(host))
        {
            return false;
        }
        await using var db = await dbs.CreateDbContextAsync(ct);
        var credential = FleetSecrets.NewCredential();
        db.HostCredentials.Add(new HostCredentialRecord { Host = host, Hash = FleetSecrets.Hash(credential), Origin = "rotation", CreatedAt = time.GetUtcNow() });
        await db.SaveChangesAsync(ct);
        var sent = sessions.Send(host, new Contract.ConsoleMessage { RotateCredential = new Contract.RotateCredential { Credential = credential } });
        LogRotated(host, sent);
        return sent;
    }

    /// <summary>
    /// The all-in-one agent runs in this process: give it a credential directly (no join token) when the
    /// one in its data directory is missing or no longer valid.
    /// </summary>
    public async Task EnsureLocalCredentialAsync(string host, string credentialFile, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var existing = Agent.Connection.AgentCredentialFile.Read(credentialFile);
        if (existing is not null && existing.HostName == host)
        {
            var hash = FleetSecrets.Hash(existing.Credential);
            if (await db.HostCredentials.AnyAsync(c => c.Hash == hash && c.RevokedAt == null, ct))
            {
                fleet.SetEnrollment(host, EnrollmentState.Enrolled);
                return;
            }
        }
        if (await db.Hosts.FindAsync([host], ct) is null)
        {
            db.Hosts.Add(new HostRecord { Name = host });
        }
        var credential = FleetSecrets.NewCredential();
        db.HostCredentials.Add(new HostCredentialRecord { Host = host, Hash = FleetSecrets.Hash(credential), Origin = "local", CreatedAt = time.GetUtcNow() });
        await db.SaveChangesAsync(ct);
        Agent.Connection.AgentCredentialFile.Write(credentialFile, new Agent.Connection.AgentCredential(host, credential));
        fleet.SetEnrollment(host, EnrollmentState.Enrolled);
    }

    /// <summary>Every host the console knows, with its enrollment state (for the fleet view after a restart).</summary>
    public async Task<IReadOnlyDictionary<string, string>> EnrollmentStatesAsync(CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var now = time.GetUtcNow();
        var hosts = await db.Hosts.AsNoTracking().Select(h => h.Name).ToListAsync(ct);
        var credentials = await db.HostCredentials.AsNoTracking().Select(c => new { c.Host, Active = c.RevokedAt == null }).ToListAsync(ct);
        var pending = await db.JoinTokens.AsNoTracking().Where(t => t.UsedAt == null).Select(t => new { t.Host, t.ExpiresAt }).ToListAsync(ct);
        var states = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var host in hosts.Concat(credentials.Select(c => c.Host)).Distinct(StringComparer.Ordinal))
        {
            states[host] =
                credentials.Any(c => c.Host == host && c.Active) ? EnrollmentState.Enrolled
                : pending.Any(t => t.Host == host && t.ExpiresAt > now) ? EnrollmentState.Pending
                : credentials.Any(c => c.Host == host) ? EnrollmentState.Revoked
                : EnrollmentState.Unenrolled;
        }
        return states;
    }

    public void Dispose() => _gate.Dispose();

    /// <summary>
    /// An address over the failure limit gets a bare "slow down" instead of the reason (and no log line). Valid
    /// secrets are still accepted, so agents behind one NAT address are not locked out by a neighbour's mistakes.
    /// </summary>
    private void RefuseIfLimited(string address)
    {
        if (limiter.RetryAfter(address) is { } wait)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, $"Too many failed enrollment or connection attempts from {address}; try again in {Math.Ceiling(wait.TotalSeconds)} s."));
        }
    }

    [GeneratedRegex("^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$")]
    private static partial Regex HostNamePattern();

    [LoggerMessage(Level = LogLevel.Information, Message = "Issued a join token for host {Host}, valid until {ExpiresAt:u}")]
    private partial void LogJoinTokenIssued(string host, DateTimeOffset expiresAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Host {Host} enrolled (agent {AgentId} from {Address})")]
    private partial void LogEnrolled(string host, string agentId, string address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Enrollment from {Address} refused: {Reason}")]
    private partial void LogEnrollRefused(string address, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent connection from {Address} refused: {Reason}")]
    private partial void LogConnectRefused(string address, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Credentials of host {Host} revoked")]
    private partial void LogRevoked(string host);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rotated the credential of host {Host} (sent to the agent: {Sent})")]
    private partial void LogRotated(string host, bool sent);
}
