using ConOps.Console.History;
using ConOps.Console.Notifications;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ConOps.Tests.Notifications;

/// <summary>Adding, changing and deleting targets against a real SQLite database: secrets stay unless replaced.</summary>
public sealed class NotificationTargetsTests : IAsyncLifetime
{
    private readonly string _dbPath = Path.Combine(Path.GetTempPath(), "conops-targets-" + Guid.NewGuid().ToString("N")[..8] + ".db");
    private readonly EphemeralDataProtectionProvider _protection = new();
    private ServiceProvider _services = null!;
    private IDbContextFactory<ConOpsDb> _dbs = null!;
    private NotificationTargets _targets = null!;

    public async Task InitializeAsync()
    {
        _dbs = new PooledDbContextFactory<ConOpsDb>(new DbContextOptionsBuilder<ConOpsDb>().UseSqlite($"Data Source={_dbPath};Pooling=false").Options);
        await using (var db = await _dbs.CreateDbContextAsync())
        {
            await db.Database.MigrateAsync();
        }
        _services = new ServiceCollection().AddHttpClient().BuildServiceProvider();
        var sender = new NotificationSender(_dbs, _protection, _services.GetRequiredService<IHttpClientFactory>(), Options.Create(new NotificationOptions()), TimeProvider.System, NullLogger<NotificationSender>.Instance);
        _targets = new NotificationTargets(_dbs, sender, TimeProvider.System);
    }

    [Fact]
    public async Task A_change_without_url_or_token_keeps_the_stored_ones_and_an_empty_token_removes_it()
    {
        var created = (await _targets.CreateAsync(new NotificationTargetInput("ops", "webhook", "https://hooks.example/t/s3cret", "tok-1", null), default)).Target!;

        var renamed = await _targets.UpdateAsync(created.Id, new NotificationTargetInput("team", "webhook", null, null, false), default);

        Assert.Empty(renamed.Errors);
        var stored = (await _targets.RecordAsync(created.Id, default))!;
        Assert.Equal(("team", false, "https://hooks.example"), (stored.Name, stored.Enabled, stored.DisplayUrl));
        Assert.Equal("https://hooks.example/t/s3cret", Unprotect(stored.EncryptedUrl));
        Assert.Equal("tok-1", Unprotect(stored.EncryptedToken!));

        await _targets.UpdateAsync(created.Id, new NotificationTargetInput("team", "webhook", "http://other.example:8080/x", "", null), default);

        stored = (await _targets.RecordAsync(created.Id, default))!;
        Assert.Equal("http://other.example:8080", stored.DisplayUrl);
        Assert.Null(stored.EncryptedToken);
        var view = Assert.Single(await _targets.ListAsync(default));
        Assert.Equal(("http://other.example:8080/…", false), (view.Url, view.TokenSet));
    }

    [Fact]
    public async Task Problems_are_named_field_by_field_and_a_taken_name_is_a_conflict()
    {
        var gotify = (await _targets.CreateAsync(new NotificationTargetInput("push", "gotify", "https://gotify.example", "app-token", null), default)).Target!;
        await _targets.CreateAsync(new NotificationTargetInput("chat", "slack", "https://hooks.slack.example/x", null, null), default);

        // A stored Gotify token counts: changing the name needs no new token.
        Assert.Empty((await _targets.UpdateAsync(gotify.Id, new NotificationTargetInput("push", "gotify", null, null, null), default)).Errors);
        Assert.Equal(["token"], (await _targets.UpdateAsync(gotify.Id, new NotificationTargetInput("push", "gotify", null, "", null), default)).Errors.Keys);
        Assert.Equal(["name", "kind", "url"], (await _targets.CreateAsync(new NotificationTargetInput(" ", "pager", "ftp://x", null, null), default)).Errors.Keys);
        Assert.Contains("exists already", (await _targets.UpdateAsync(gotify.Id, new NotificationTargetInput("chat", "gotify", null, null, null), default)).Conflict);
        Assert.True((await _targets.UpdateAsync(999, new NotificationTargetInput("x", "slack", null, null, null), default)).NotFound);
    }

    [Fact]
    public async Task Rules_are_replaced_together_and_go_with_their_target()
    {
        var target = (await _targets.CreateAsync(new NotificationTargetInput("ops", "ntfy", "https://ntfy.example/ops", null, null), default)).Target!;
        await _targets.ReplaceRulesAsync(target.Id, [new(0, null, ["sync-failed"]), new(0, "shop", ["host-offline", "pending-approval"])], default);

        Assert.NotEmpty(await _targets.ReplaceRulesAsync(target.Id, [new(0, null, ["no-such-event"])], default));
        await _targets.ReplaceRulesAsync(target.Id, [new(0, "shop", ["health-degraded"])], default);

        var rule = Assert.Single(Assert.Single(await _targets.ListAsync(default)).Rules);
        Assert.Equal("shop", rule.App);
        Assert.Equal(["health-degraded"], rule.Events);
        Assert.True(await _targets.DeleteAsync(target.Id, default));
        await using var db = await _dbs.CreateDbContextAsync();
        Assert.Empty(await db.NotificationRules.ToListAsync());
    }

    private string Unprotect(string text) => _protection.CreateProtector("ConOps.Notifications.Targets.v1").Unprotect(text);

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        foreach (var file in new[] { _dbPath, _dbPath + "-wal", _dbPath + "-shm" }.Where(File.Exists))
        {
            File.Delete(file);
        }
    }
}
