using ConOps.Console.History;
using Microsoft.EntityFrameworkCore;

namespace ConOps.Console.Notifications;

/// <summary>A target as the API and UI show it: the address's host only, whether a token is set, and its rules.</summary>
public sealed record NotificationTargetView(long Id, string Name, string Kind, string Url, bool TokenSet, bool Enabled, DateTimeOffset CreatedAt, IReadOnlyList<NotificationRuleRecord> Rules);

/// <summary>What a change to the targets came to: the target, or the problems to show, or a name clash.</summary>
public sealed record TargetChange(NotificationTargetRecord? Target, Dictionary<string, string[]> Errors, string? Conflict = null, bool NotFound = false);

/// <summary>
/// Adds, changes and deletes notification targets and their rules for the API and the Settings page. URLs and
/// tokens are encrypted as they arrive and never handed back; leaving one out of a change keeps the stored one.
/// </summary>
public sealed class NotificationTargets(IDbContextFactory<ConOpsDb> dbs, NotificationSender sender, TimeProvider time)
{
    public async Task<List<NotificationTargetView>> ListAsync(CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var targets = await db.NotificationTargets.AsNoTracking().OrderBy(t => t.Name).ToListAsync(ct);
        var rules = (await db.NotificationRules.AsNoTracking().OrderBy(r => r.Id).ToListAsync(ct)).ToLookup(r => r.TargetId);
        return [.. targets.Select(t => View(t, [.. rules[t.Id]]))];
    }

    /// <summary>The stored target (secrets still encrypted), for a delivery attempt.</summary>
    public async Task<NotificationTargetRecord?> RecordAsync(long id, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.NotificationTargets.AsNoTracking().FirstOrDefaultAsync(t => t.Id == id, ct);
    }

    public static NotificationTargetView View(NotificationTargetRecord t, IReadOnlyList<NotificationRuleRecord> rules) =>
        new(t.Id, t.Name, t.Kind, t.DisplayUrl + "/…", t.EncryptedToken is not null, t.Enabled, t.CreatedAt, rules);

    public async Task<TargetChange> CreateAsync(NotificationTargetInput input, CancellationToken ct)
    {
        var errors = Validate(input, urlRequired: true, tokenStored: false);
        if (errors.Count > 0)
        {
            return new TargetChange(null, errors);
        }
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (await db.NotificationTargets.AnyAsync(t => t.Name == input.Name, ct))
        {
            return new TargetChange(null, [], $"A notification target named '{input.Name}' exists already.");
        }
        var url = new Uri(input.Url!);
        var target = new NotificationTargetRecord
        {
            Name = input.Name!.Trim(),
            Kind = input.Kind!,
            EncryptedUrl = sender.Protect(url.AbsoluteUri),
            EncryptedToken = string.IsNullOrEmpty(input.Token) ? null : sender.Protect(input.Token),
            DisplayUrl = url.GetLeftPart(UriPartial.Authority),
            Enabled = input.Enabled ?? true,
            CreatedAt = time.GetUtcNow(),
        };
        db.Add(target);
        await db.SaveChangesAsync(ct);
        return new TargetChange(target, []);
    }

    /// <summary>Changes a target. A null URL or token keeps the stored one; an empty token removes it.</summary>
    public async Task<TargetChange> UpdateAsync(long id, NotificationTargetInput input, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var target = await db.NotificationTargets.FirstOrDefaultAsync(t => t.Id == id, ct);
        if (target is null)
        {
            return new TargetChange(null, [], NotFound: true);
        }
        var tokenStored = input.Token is null && target.EncryptedToken is not null;
        var errors = Validate(input with { Url = string.IsNullOrEmpty(input.Url) ? null : input.Url }, urlRequired: false, tokenStored);
        if (errors.Count > 0)
        {
            return new TargetChange(null, errors);
        }
        if (input.Name!.Trim() != target.Name && await db.NotificationTargets.AnyAsync(t => t.Name == input.Name && t.Id != id, ct))
        {
            return new TargetChange(null, [], $"A notification target named '{input.Name}' exists already.");
        }
        target.Name = input.Name.Trim();
        target.Kind = input.Kind!;
        if (!string.IsNullOrEmpty(input.Url))
        {
            var url = new Uri(input.Url);
            target.EncryptedUrl = sender.Protect(url.AbsoluteUri);
            target.DisplayUrl = url.GetLeftPart(UriPartial.Authority);
        }
        if (input.Token is not null)
        {
            target.EncryptedToken = input.Token.Length == 0 ? null : sender.Protect(input.Token);
        }
        target.Enabled = input.Enabled ?? target.Enabled;
        await db.SaveChangesAsync(ct);
        return new TargetChange(target, []);
    }

    public async Task<bool> DeleteAsync(long id, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var removed = await db.NotificationTargets.Where(t => t.Id == id).ExecuteDeleteAsync(ct);
        await db.NotificationRules.Where(r => r.TargetId == id).ExecuteDeleteAsync(ct);
        return removed > 0;
    }

    /// <summary>Replaces a target's rules (the Settings page edits them together with the target).</summary>
    public async Task<Dictionary<string, string[]>> ReplaceRulesAsync(long targetId, IReadOnlyList<NotificationRuleInput> rules, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        for (var i = 0; i < rules.Count; i++)
        {
            if (ValidateRule(rules[i]) is { } problem)
            {
                errors[$"rules[{i}].events"] = [problem];
            }
        }
        if (errors.Count > 0)
        {
            return errors;
        }
        await using var db = await dbs.CreateDbContextAsync(ct);
        await db.NotificationRules.Where(r => r.TargetId == targetId).ExecuteDeleteAsync(ct);
        db.NotificationRules.AddRange(rules.Select(r => new NotificationRuleRecord
        {
            TargetId = targetId,
            App = string.IsNullOrWhiteSpace(r.App) ? null : r.App.Trim(),
            Events = [.. (r.Events ?? []).Distinct()],
        }));
        await db.SaveChangesAsync(ct);
        return errors;
    }

    /// <summary>Why a rule's events are not valid, or null.</summary>
    public static string? ValidateRule(NotificationRuleInput rule) =>
        rule.Events is not { Count: > 0 } events || events.Any(e => !NotificationEvents.All.Contains(e))
            ? $"Pick one or more events: {string.Join(", ", NotificationEvents.All)}."
            : null;

    public static Dictionary<string, string[]> Validate(NotificationTargetInput input, bool urlRequired, bool tokenStored)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(input.Name) || input.Name.Length > 100)
        {
            errors["name"] = ["Give the target a name (at most 100 characters)."];
        }
        if (input.Kind is null || !NotificationFormats.Kinds.Contains(input.Kind))
        {
            errors["kind"] = [$"Use one of: {string.Join(", ", NotificationFormats.Kinds)}."];
        }
        if ((urlRequired || input.Url is not null)
            && (!Uri.TryCreate(input.Url, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps) || input.Url!.Length > 2000))
        {
            errors["url"] = ["Give the full http(s) URL of the webhook, ntfy topic or Gotify server."];
        }
        if (input.Kind == NotificationFormats.Gotify && string.IsNullOrEmpty(input.Token) && !tokenStored)
        {
            errors["token"] = ["Gotify needs an application token."];
        }
        return errors;
    }
}
