using ConOps.Console.Fleet;
using ConOps.Console.History;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ConOps.Tests.Fleet;

/// <summary>Enrollment rules against a real SQLite database file (migrated like the console's).</summary>
public sealed class HostEnrollmentTests : IAsyncLifetime
{
    private const string Address = "192.0.2.10";

    private readonly string _dbPath = Path.Combine(Path.GetTempPath(), "conops-enroll-" + Guid.NewGuid().ToString("N")[..8] + ".db");
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 26, 6, 0, 0, TimeSpan.Zero));
    private readonly AgentSessions _sessions = new();
    private IDbContextFactory<ConOpsDb> _dbs = null!;
    private FleetState _fleet = null!;
    private HostEnrollment _enrollment = null!;

    public async Task InitializeAsync()
    {
        _dbs = new PooledDbContextFactory<ConOpsDb>(new DbContextOptionsBuilder<ConOpsDb>().UseSqlite($"Data Source={_dbPath};Pooling=false").Options);
        await using (var db = await _dbs.CreateDbContextAsync())
        {
            await db.Database.MigrateAsync();
        }
        _fleet = new FleetState(_clock);
        var options = Options.Create(new FleetOptions { FailureLimit = 3 });
        _enrollment = new HostEnrollment(_dbs, _fleet, _sessions, new FailureRateLimiter(options, _clock), options, _clock, NullLogger<HostEnrollment>.Instance);
    }

    [Fact]
    public async Task A_join_token_is_traded_once_for_a_credential_whose_hash_alone_is_stored()
    {
        var ticket = (await _enrollment.IssueJoinTokenAsync("nas", replaceEnrolled: false, default))!;
        Assert.Equal(_clock.Now.AddHours(24), ticket.ExpiresAt);
        Assert.Equal(EnrollmentState.Pending, _fleet.Hosts.Single().Enrollment);

        var (host, credential) = await _enrollment.EnrollAsync(ticket.JoinToken, "agent-1", Address, default);

        Assert.Equal("nas", host);
        Assert.Equal("nas", await _enrollment.AuthenticateAsync("Bearer " + credential, Address, default));
        Assert.Equal(EnrollmentState.Enrolled, _fleet.Hosts.Single().Enrollment);
        await using var db = await _dbs.CreateDbContextAsync();
        Assert.Equal(FleetSecrets.Hash(credential), (await db.HostCredentials.SingleAsync()).Hash);
        Assert.Equal(FleetSecrets.Hash(ticket.JoinToken), (await db.JoinTokens.SingleAsync()).Hash);

        var replay = await Assert.ThrowsAsync<RpcException>(() => _enrollment.EnrollAsync(ticket.JoinToken, "agent-2", Address, default));
        Assert.Equal(StatusCode.Unauthenticated, replay.StatusCode);
        Assert.Contains("already used", replay.Status.Detail, StringComparison.Ordinal);
        Assert.Null(await _enrollment.IssueJoinTokenAsync("nas", replaceEnrolled: false, default));
    }

    [Fact]
    public async Task An_expired_token_is_refused_and_a_new_one_replaces_older_ones()
    {
        var old = (await _enrollment.IssueJoinTokenAsync("nas", replaceEnrolled: false, default))!;
        _clock.Advance(TimeSpan.FromHours(25));
        var expired = await Assert.ThrowsAsync<RpcException>(() => _enrollment.EnrollAsync(old.JoinToken, "a", Address, default));
        Assert.Contains("expired", expired.Status.Detail, StringComparison.Ordinal);

        var first = (await _enrollment.IssueJoinTokenAsync("nas", replaceEnrolled: false, default))!;
        var second = (await _enrollment.IssueJoinTokenAsync("nas", replaceEnrolled: false, default))!;
        await Assert.ThrowsAsync<RpcException>(() => _enrollment.EnrollAsync(first.JoinToken, "a", "192.0.2.11", default));
        Assert.Equal("nas", (await _enrollment.EnrollAsync(second.JoinToken, "a", "192.0.2.11", default)).Host);
    }

    [Fact]
    public async Task A_revoked_credential_is_refused_with_the_reason()
    {
        var credential = await EnrollAsync("nas");
        Assert.True(await _enrollment.RevokeAsync("nas", default));

        var refused = await Assert.ThrowsAsync<RpcException>(() => _enrollment.AuthenticateAsync("Bearer " + credential, Address, default));
        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.Contains("was revoked", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(EnrollmentState.Revoked, _fleet.Hosts.Single().Enrollment);
        Assert.False(await _enrollment.RevokeAsync("attic", default));

        var unknown = await Assert.ThrowsAsync<RpcException>(() => _enrollment.AuthenticateAsync("Bearer cac_made_up", Address, default));
        Assert.Equal(StatusCode.Unauthenticated, unknown.StatusCode);
        var missing = await Assert.ThrowsAsync<RpcException>(() => _enrollment.AuthenticateAsync(null, Address, default));
        Assert.Contains("No agent credential", missing.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Repeated_failures_from_one_address_are_slowed_down_but_valid_agents_there_still_get_in()
    {
        var credential = await EnrollAsync("nas");
        for (var i = 0; i < 3; i++)
        {
            await Assert.ThrowsAsync<RpcException>(() => _enrollment.AuthenticateAsync("Bearer cac_guess" + i, Address, default));
        }

        var limited = await Assert.ThrowsAsync<RpcException>(() => _enrollment.AuthenticateAsync("Bearer cac_guess", Address, default));
        Assert.Equal(StatusCode.ResourceExhausted, limited.StatusCode);
        Assert.Contains("try again in 300 s", limited.Status.Detail, StringComparison.Ordinal);
        var tokenGuess = await Assert.ThrowsAsync<RpcException>(() => _enrollment.EnrollAsync("cjt_guess", "a", Address, default));
        Assert.Equal(StatusCode.ResourceExhausted, tokenGuess.StatusCode);
        Assert.Equal("nas", await _enrollment.AuthenticateAsync("Bearer " + credential, Address, default));
    }

    [Fact]
    public async Task A_rotated_credential_retires_the_old_one_once_the_agent_uses_it()
    {
        var old = await EnrollAsync("nas");
        Assert.False(await _enrollment.RotateAsync("nas", default));

        var session = _sessions.Open("nas");
        Assert.True(await _enrollment.RotateAsync("nas", default));
        Assert.True(session.Outbound.Reader.TryRead(out var message));
        var rotated = message.RotateCredential.Credential;

        Assert.Equal("nas", await _enrollment.AuthenticateAsync("Bearer " + old, Address, default));
        Assert.Equal("nas", await _enrollment.AuthenticateAsync("Bearer " + rotated, Address, default));
        var retired = await Assert.ThrowsAsync<RpcException>(() => _enrollment.AuthenticateAsync("Bearer " + old, Address, default));
        Assert.Contains("superseded", retired.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Known_hosts_and_their_enrollment_survive_a_restart()
    {
        await EnrollAsync("nas");
        await _enrollment.IssueJoinTokenAsync("pi", replaceEnrolled: false, default);
        await EnrollAsync("old");
        await _enrollment.RevokeAsync("old", default);

        var states = await _enrollment.EnrollmentStatesAsync(default);

        Assert.Equal(EnrollmentState.Enrolled, states["nas"]);
        Assert.Equal(EnrollmentState.Pending, states["pi"]);
        Assert.Equal(EnrollmentState.Revoked, states["old"]);
    }

    [Theory]
    [InlineData("nas", true)]
    [InlineData("pi-4.lan", true)]
    [InlineData("NAS", false)]
    [InlineData("-nas", false)]
    [InlineData("", false)]
    [InlineData("a b", false)]
    public void Host_names_are_checked(string name, bool valid) => Assert.Equal(valid, HostEnrollment.IsValidHostName(name));

    public Task DisposeAsync()
    {
        _enrollment.Dispose();
        foreach (var file in new[] { _dbPath, _dbPath + "-wal", _dbPath + "-shm" }.Where(File.Exists))
        {
            File.Delete(file);
        }
        return Task.CompletedTask;
    }

    private async Task<string> EnrollAsync(string host)
    {
        var ticket = (await _enrollment.IssueJoinTokenAsync(host, replaceEnrolled: false, default))!;
        return (await _enrollment.EnrollAsync(ticket.JoinToken, "agent", "198.51.100.1", default)).Credential;
    }
}
