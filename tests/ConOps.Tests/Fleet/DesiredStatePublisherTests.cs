using ConOps.Console.Apps;
using ConOps.Console.Fleet;
using ConOps.Console.History;
using ConOps.Console.Sync;
using ConOps.Contract;
using Google.Protobuf;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace ConOps.Tests.Fleet;

/// <summary>What a reconnecting agent is sent, against a real SQLite database file.</summary>
public sealed class DesiredStatePublisherTests : IAsyncLifetime
{
    private readonly string _dbPath = Path.Combine(Path.GetTempPath(), "conops-publish-" + Guid.NewGuid().ToString("N")[..8] + ".db");
    private readonly AgentSessions _sessions = new();
    private IDbContextFactory<ConOpsDb> _dbs = null!;
    private DesiredStatePublisher _publisher = null!;

    public async Task InitializeAsync()
    {
        _dbs = new PooledDbContextFactory<ConOpsDb>(new DbContextOptionsBuilder<ConOpsDb>().UseSqlite($"Data Source={_dbPath};Pooling=false").Options);
        await using var db = await _dbs.CreateDbContextAsync();
        await db.Database.MigrateAsync();
        db.AppHostStates.Add(new AppHostStateRecord { App = "web", Host = "nas", Deployed = new AppDesiredState { App = "web", Revision = "main@sha1:1" }.ToByteArray() });
        await db.SaveChangesAsync();
        var fleet = new FleetState(TimeProvider.System);
        _publisher = new DesiredStatePublisher(_dbs, _sessions, new HostDesiredStates(new SecretBox(new EphemeralDataProtectionProvider())), fleet);
    }

    [Fact]
    public async Task A_reconnecting_agent_gets_desired_state_only_when_its_generation_differs()
    {
        var session = _sessions.Open("nas");
        var (generation, changed) = await _publisher.PublishAsync("nas", default, agentGeneration: 0);
        Assert.True(changed);
        Assert.Equal(generation, Drain(session).Single().DesiredState.Generation);

        await _publisher.PublishAsync("nas", default, agentGeneration: generation);
        Assert.Empty(Drain(session));

        await _publisher.PublishAsync("nas", default, agentGeneration: generation - 1);
        Assert.Equal(generation, Drain(session).Single().DesiredState.Generation);
    }

    [Fact]
    public async Task An_agent_ahead_of_a_restored_console_is_sent_a_generation_past_its_own()
    {
        var session = _sessions.Open("nas");
        var (first, _) = await _publisher.PublishAsync("nas", default);
        Drain(session);

        var (generation, _) = await _publisher.PublishAsync("nas", default, agentGeneration: first + 40);

        Assert.Equal(first + 41, generation);
        var sent = Drain(session).Single().DesiredState;
        Assert.Equal(first + 41, sent.Generation);
        Assert.Equal("web", sent.Apps.Single().App);
    }

    public Task DisposeAsync()
    {
        _publisher.Dispose();
        foreach (var file in new[] { _dbPath, _dbPath + "-wal", _dbPath + "-shm" }.Where(File.Exists))
        {
            File.Delete(file);
        }
        return Task.CompletedTask;
    }

    private static List<ConsoleMessage> Drain(AgentSession session)
    {
        var messages = new List<ConsoleMessage>();
        while (session.Outbound.Reader.TryRead(out var message))
        {
            messages.Add(message);
        }
        return messages;
    }
}
