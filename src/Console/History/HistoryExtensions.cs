using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ConOps.Console.History;

public static class HistoryExtensions
{
    /// <summary>SQLite in the data directory, one short-lived context per operation.</summary>
    public static IServiceCollection AddHistory(this IServiceCollection services)
    {
        services.AddDbContextFactory<ConOpsDb>((sp, db) =>
        {
            var dataDirectory = sp.GetRequiredService<IOptions<ConsoleOptions>>().Value.DataDirectory;
            ConsoleOptions.EnsureDataDirectory(dataDirectory);
            db.UseSqlite($"Data Source={Path.Combine(dataDirectory, "conops.db")}");
        });
        services.AddSingleton<ReleaseLog>();
        return services;
    }

    /// <summary>Brings the database schema up to date (migrations only, so later versions can migrate it too).</summary>
    public static async Task MigrateHistoryAsync(this IServiceProvider services)
    {
        var dbs = services.GetRequiredService<IDbContextFactory<ConOpsDb>>();
        await using var db = await dbs.CreateDbContextAsync();
        await db.Database.MigrateAsync();
    }
}
