using System.Text.RegularExpressions;
using ConOps.Console.Git;
using ConOps.Console.History;
using ConOps.Console.Sync;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace ConOps.Console.Apps;

/// <summary>The fleet file: hosts with their labels and apps, declared in one YAML document.</summary>
public sealed class FleetDeclaration
{
    public List<HostDeclaration> Hosts { get; set; } = [];

    public List<AppDefinition> Apps { get; set; } = [];
}

/// <summary>A host and the labels apps select it by.</summary>
public sealed class HostDeclaration
{
    public string Name { get; set; } = "";

    public Dictionary<string, string> Labels { get; set; } = [];
}

/// <summary>
/// Keeps apps and host labels in line with the fleet file, a local file or a file in a Git repository (the fleet
/// itself managed by GitOps). Apps removed from the file are removed from the console. A broken file changes
/// nothing: the error is logged and shown, and the last good declaration stays.
/// </summary>
public sealed partial class FleetFile(
    IDbContextFactory<ConOpsDb> dbs,
    AppCatalog catalog,
    GitRepositories git,
    IOptions<SourcesOptions> sources,
    ILogger<FleetFile> log) : IHostedService, IDisposable
{
    public const string Source = "fleet-file";
    private const long MaxBytes = 1024 * 1024;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private string? _lastVersion;

    /// <summary>Why the fleet file was last refused, or null.</summary>
    public string? Error { get; private set; }

    /// <summary>The commit or modification time last applied.</summary>
    public string? AppliedVersion => _lastVersion;

    public Task StartAsync(CancellationToken cancellationToken) => RefreshAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _gate.Dispose();

    public async Task RefreshAsync(CancellationToken ct)
    {
        var options = sources.Value;
        if (string.IsNullOrWhiteSpace(options.FleetFile))
        {
            return;
        }
        await _gate.WaitAsync(ct);
        try
        {
            string version;
            string text;
            if (options.FleetRepoUrl.Length > 0)
            {
                var source = new GitSource(options.FleetRepoUrl, options.FleetRepoAuth);
                var head = await git.RemoteTargetAsync(source, GitRefKind.Branch, options.FleetRepoBranch, ct)
                    ?? throw new GitSourceException($"branch '{options.FleetRepoBranch}' does not exist in {options.FleetRepoUrl}", transient: false);
                if (head == _lastVersion && Error is null)
                {
                    return;
                }
                var commit = await git.FetchAsync(source, GitRefKind.Branch, options.FleetRepoBranch, ct);
                text = await git.ReadFileAsync(options.FleetRepoUrl, commit.Sha, options.FleetFile, MaxBytes, ct);
                version = commit.Sha;
            }
            else
            {
                var info = new FileInfo(options.FleetFile);
                if (!info.Exists)
                {
                    throw new GitSourceException($"fleet file {info.FullName} does not exist", transient: false);
                }
                version = $"{info.LastWriteTimeUtc.Ticks}:{info.Length}";
                if (version == _lastVersion && Error is null)
                {
                    return;
                }
                if (info.Length > MaxBytes)
                {
                    throw new GitSourceException($"fleet file is larger than {MaxBytes / 1024} KiB", transient: false);
                }
                text = await File.ReadAllTextAsync(info.FullName, ct);
            }

            var declaration = Parse(text, options.FleetFile);
            await ApplyAsync(declaration, ct);
            _lastVersion = version;
            Error = null;
            LogApplied(options.FleetFile, version, declaration.Apps.Count, declaration.Hosts.Count);
        }
        catch (Exception ex) when (ex is FleetFileException or GitSourceException or IOException)
        {
            Error = ex.Message;
            LogRefused(options.FleetFile, ex.Message);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Parses and validates the whole file; throws <see cref="FleetFileException"/> naming every problem.</summary>
    public static FleetDeclaration Parse(string yaml, string fileName)
    {
        FleetDeclaration declaration;
        try
        {
            declaration = new DeserializerBuilder()
                .WithNamingConvention(CamelCaseNamingConvention.Instance)
                .Build()
                .Deserialize<FleetDeclaration?>(yaml) ?? new FleetDeclaration();
        }
        catch (YamlException ex)
        {
            throw new FleetFileException($"{fileName}:{ex.Start.Line}:{ex.Start.Column}: {Friendly(ex.InnerException?.Message ?? ex.Message)}");
        }

        var problems = new List<string>();
        foreach (var duplicate in declaration.Apps.GroupBy(a => a.Name).Where(g => g.Count() > 1))
        {
            problems.Add($"app '{duplicate.Key}' is declared {duplicate.Count()} times");
        }
        foreach (var app in declaration.Apps)
        {
            foreach (var (field, messages) in app.Validate())
            {
                problems.Add($"app '{app.Name}': {field}: {string.Join(" ", messages)}");
            }
            try
            {
                ExpandSecrets(app);
            }
            catch (FleetFileException ex)
            {
                problems.Add($"app '{app.Name}': {ex.Message}");
            }
        }
        foreach (var host in declaration.Hosts.Where(h => string.IsNullOrWhiteSpace(h.Name)))
        {
            problems.Add("a host has no name");
        }
        if (problems.Count > 0)
        {
            throw new FleetFileException($"{fileName}: {string.Join("; ", problems)}");
        }
        return declaration;
    }

    private async Task ApplyAsync(FleetDeclaration declaration, CancellationToken ct)
    {
        foreach (var host in declaration.Hosts)
        {
            await catalog.SetHostLabelsAsync(host.Name, host.Labels, Source, ct);
        }
        foreach (var app in declaration.Apps)
        {
            await catalog.UpsertAsync(app, Source, ct);
        }
        List<string> removed;
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            var declared = declaration.Apps.Select(a => a.Name).ToList();
            removed = await db.Apps.Where(a => a.Source == Source && !declared.Contains(a.Name)).Select(a => a.Name).ToListAsync(ct);
        }
        foreach (var name in removed)
        {
            await catalog.DeleteAsync(name, ct);
        }
    }

    /// <summary>YamlDotNet speaks of .NET types; users know the file's words.</summary>
    private static string Friendly(string message)
    {
        var unknown = UnknownProperty().Match(message);
        if (unknown.Success)
        {
            return $"unknown field '{unknown.Groups[1].Value}' in {Place(unknown.Groups[2].Value)} (check the spelling; see docs/sources.md)";
        }
        var shape = WrongShape().Match(message);
        if (shape.Success)
        {
            var type = shape.Groups[1].Value;
            var expected = type.StartsWith("System.String", StringComparison.Ordinal) ? "a single value"
                : type.Contains("Dictionary", StringComparison.Ordinal) ? "a mapping (key: value)"
                : type.Contains("List", StringComparison.Ordinal) ? "a list"
                : type.Contains("Boolean", StringComparison.Ordinal) ? "true or false"
                : $"{Place(type)}";
            return $"expected {expected} here";
        }
        return message;
    }

    private static string Place(string type) => type.Split(',')[0].Split('.')[^1] switch
    {
        "AppDefinition" => "an app",
        "HostDeclaration" => "a host",
        "AppPolicy" => "an app's policy",
        "GitAuth" => "an app's git credentials",
        "RegistryLogin" => "a registry login",
        "HostOverride" => "a host override",
        "FleetDeclaration" => "the top level (hosts, apps)",
        var other => other,
    };

    [GeneratedRegex(@"Property '([^']+)' not found on type '([^']+)'")]
    private static partial Regex UnknownProperty();

    [GeneratedRegex(@"deserialize the node into type ([^\s]+)")]
    private static partial Regex WrongShape();

    /// <summary>Secrets in the file may be written as ${NAME}: taken from the console's environment, so they never live in Git.</summary>
    private static void ExpandSecrets(AppDefinition app)
    {
        if (app.Git is { } auth)
        {
            auth.Password = Expand(auth.Password);
            auth.Token = Expand(auth.Token);
            auth.SshPrivateKey = Expand(auth.SshPrivateKey);
        }
        foreach (var login in app.Registries)
        {
            login.Password = Expand(login.Password);
        }
    }

    private static string? Expand(string? value)
    {
        if (value is null || EnvReference().Match(value) is not { Success: true } match)
        {
            return value;
        }
        var name = match.Groups[1].Value;
        return Environment.GetEnvironmentVariable(name) ?? throw new FleetFileException($"the environment variable {name} is not set");
    }

    [GeneratedRegex(@"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")]
    private static partial Regex EnvReference();

    [LoggerMessage(Level = LogLevel.Information, Message = "Fleet file {File} ({Version}) applied: {Apps} app(s), {Hosts} host(s)")]
    private partial void LogApplied(string file, string version, int apps, int hosts);

    [LoggerMessage(Level = LogLevel.Error, Message = "Fleet file {File} refused, nothing changed: {Error}")]
    private partial void LogRefused(string file, string error);
}

/// <summary>A fleet file that cannot be applied, with every problem found.</summary>
public sealed class FleetFileException(string message) : Exception(message);
