namespace ConOps.Console.Compose;

/// <summary>
/// <c>conops-console config</c>: prints the normalized model of a compose project, the same role as
/// <c>docker compose config</c>, so a user can see what ConOps will deploy (and each service's hash) before
/// pushing. Bad input prints the error with its place and exits non-zero.
/// </summary>
public static class ConfigCommand
{
    public const string Usage = """
        usage: conops-console config [-f FILE]... [--env-file FILE]... [--project-directory DIR]
                                     [-p NAME] [--profile NAME]... [--format json|yaml] [--hash] [--process-env]

          -f, --file             compose file(s), merged in order (default: compose.yaml and its override file)
          --env-file             variable file(s) for interpolation (default: .env in the project directory)
          --project-directory    folder that relative paths resolve against (default: the first file's folder)
          -p, --project-name     project name (default: 'name:' in the file, else the folder's name)
          --profile              enable services of this profile ('*' enables all)
          --format               output format: json (default) or yaml
          --hash                 print each service's config hash instead of the model
          --process-env          also read variables from this shell's environment (off by default)
        """;

    public static bool IsInvocation(string[] args) => args.Length > 0 && args[0] == "config";

    public static Task<int> RunAsync(string[] args) =>
        Task.FromResult(Run(args, Directory.GetCurrentDirectory(), System.Console.Out, System.Console.Error));

    public static int Run(string[] args, string workingDirectory, TextWriter output, TextWriter errors)
    {
        ConfigOptions options;
        try
        {
            options = ConfigOptions.Parse(args.Skip(IsInvocation(args) ? 1 : 0).ToArray());
        }
        catch (ArgumentException ex)
        {
            errors.WriteLine($"error: {ex.Message}");
            errors.WriteLine(Usage);
            return 2;
        }
        if (options.Help)
        {
            output.WriteLine(Usage);
            return 0;
        }
        try
        {
            var project = ComposeLoader.Load(options.ToRequest(workingDirectory));
            foreach (var warning in project.Warnings)
            {
                errors.WriteLine($"warning: {warning}");
            }
            output.Write(options.Hash ? ProjectRenderer.Hashes(project) : options.Format == "yaml" ? ProjectRenderer.Yaml(project) : ProjectRenderer.Json(project));
            return 0;
        }
        catch (ComposeException ex)
        {
            errors.WriteLine($"error: {ex.Message}");
            return 1;
        }
    }
}

/// <summary>The parsed arguments of the <c>config</c> command.</summary>
public sealed record ConfigOptions(
    IReadOnlyList<string> Files,
    IReadOnlyList<string> EnvFiles,
    string? ProjectDirectory,
    string ProjectName,
    IReadOnlyList<string> Profiles,
    string Format,
    bool Hash,
    bool ProcessEnvironment,
    bool Help)
{
    public static ConfigOptions Parse(string[] args)
    {
        List<string> files = [], envFiles = [], profiles = [];
        string? directory = null;
        string name = "", format = "json";
        bool hash = false, processEnvironment = false, help = false;
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            var inline = arg.StartsWith("--", StringComparison.Ordinal) && arg.Contains('=', StringComparison.Ordinal) ? arg[(arg.IndexOf('=', StringComparison.Ordinal) + 1)..] : null;
            if (inline is not null)
            {
                arg = arg[..arg.IndexOf('=', StringComparison.Ordinal)];
            }
            string Value() => inline ?? (++i < args.Length ? args[i] : throw new ArgumentException($"{arg} needs a value"));
            switch (arg)
            {
                case "-f" or "--file": files.Add(Value()); break;
                case "--env-file": envFiles.Add(Value()); break;
                case "--project-directory": directory = Value(); break;
                case "-p" or "--project-name": name = Value(); break;
                case "--profile": profiles.Add(Value()); break;
                case "--format":
                    format = Value();
                    if (format is not ("json" or "yaml"))
                    {
                        throw new ArgumentException($"--format must be json or yaml, not '{format}'");
                    }
                    break;
                case "--hash": hash = true; break;
                case "--process-env": processEnvironment = true; break;
                case "-h" or "--help": help = true; break;
                default: throw new ArgumentException($"unknown argument '{arg}'");
            }
        }
        return new ConfigOptions(files, envFiles, directory, name, profiles, format, hash, processEnvironment, help);
    }

    /// <summary>Paths on the command line are relative to the working directory; the loader wants them relative to the project directory.</summary>
    public ComposeLoadRequest ToRequest(string workingDirectory)
    {
        var files = Files.Select(f => Path.GetFullPath(f, workingDirectory)).ToList();
        var directory = ProjectDirectory is not null
            ? Path.GetFullPath(ProjectDirectory, workingDirectory)
            : files.Count > 0 ? Path.GetDirectoryName(files[0])! : workingDirectory;
        return new ComposeLoadRequest(
            directory,
            [.. files.Select(f => Path.GetRelativePath(directory, f))],
            new Dictionary<string, string>(),
            Profiles,
            ProjectName)
        {
            EnvFiles = [.. EnvFiles.Select(f => Path.GetRelativePath(directory, Path.GetFullPath(f, workingDirectory)))],
            UseProcessEnvironment = ProcessEnvironment,
        };
    }
}
