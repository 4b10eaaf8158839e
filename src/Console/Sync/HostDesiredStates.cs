using ConOps.Console.Apps;
using ConOps.Console.History;
using ConOps.Console.Registry;
using ConOps.Contract;
using Microsoft.EntityFrameworkCore;

namespace ConOps.Console.Sync;

/// <summary>
/// The apps one host should run, as the publisher assembles them, and the registry logins its agent needs to
/// pull them. Logins are attached only to the message on the wire: they are never stored with desired state.
/// </summary>
public sealed class HostDesiredStates(SecretBox secrets)
{
    public async Task<List<AppDesiredState>> ForHostAsync(ConOpsDb db, string host, CancellationToken ct)
    {
        var rows = await db.AppHostStates.AsNoTracking()
            .Where(s => s.Host == host && s.Deployed != null)
            .ToListAsync(ct);
        return [.. rows.OrderBy(r => r.App, StringComparer.Ordinal).Select(r => AppDesiredState.Parser.ParseFrom(r.Deployed))];
    }

    /// <summary>Adds, per app, the logins of the registries its images come from.</summary>
    public async Task AttachCredentialsAsync(ConOpsDb db, DesiredState state, CancellationToken ct)
    {
        var names = state.Apps.Select(a => a.App).ToList();
        var apps = await db.Apps.AsNoTracking().Where(a => names.Contains(a.Name) && a.ProtectedSecrets != null).ToListAsync(ct);
        foreach (var record in apps)
        {
            var definition = AppCatalog.Restore(record, secrets);
            var logins = definition.Registries.Where(r => !string.IsNullOrEmpty(r.Password)).ToList();
            if (logins.Count == 0)
            {
                continue;
            }
            foreach (var app in state.Apps.Where(a => a.App == record.Name))
            {
                var registries = app.Services.Select(s => TryRegistry(s.Spec.Image)).OfType<string>().ToHashSet(StringComparer.Ordinal);
                foreach (var login in logins.Where(l => registries.Contains(ImageReference.NormalizeServer(l.Server))))
                {
                    app.RegistryCredentials.Add(new RegistryCredential { Server = ImageReference.NormalizeServer(login.Server), Username = login.Username, Password = login.Password });
                }
            }
        }
    }

    private static string? TryRegistry(string image)
    {
        try
        {
            return ImageReference.Parse(image).Registry;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
