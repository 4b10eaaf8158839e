namespace ConOps.Agent.Connection;

/// <summary>What an enrolled agent keeps: the host it is, its credential and the console certificate it pins.</summary>
public sealed record AgentCredential(string HostName, string Credential, string CertificateFingerprint = "");

/// <summary>
/// The agent's credential file (<c>credential</c> in the data directory), readable by its owner only (0600)
/// because it holds the secret that lets the agent in. Written atomically so a crash never leaves half a file.
/// </summary>
public static class AgentCredentialFile
{
    public const string FileName = "credential";

    public static string PathIn(string dataDirectory) => Path.Combine(dataDirectory, FileName);

    public static AgentCredential? Read(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }
        var values = File.ReadAllLines(path)
            .Select(line => line.Split('=', 2))
            .Where(parts => parts.Length == 2)
            .ToDictionary(parts => parts[0].Trim(), parts => parts[1].Trim(), StringComparer.Ordinal);
        return values.TryGetValue("host", out var host) && values.TryGetValue("credential", out var credential) && host.Length > 0 && credential.Length > 0
            ? new AgentCredential(host, credential, values.GetValueOrDefault("fingerprint", ""))
            : null;
    }

    public static void Write(string path, AgentCredential credential)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temp = path + ".tmp";
        File.Delete(temp);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var writer = new StreamWriter(temp, options))
        {
            writer.Write($"# ConOps agent credential. Secret: keep this file private (mode 0600).\nhost={credential.HostName}\ncredential={credential.Credential}\nfingerprint={credential.CertificateFingerprint}\n");
        }
        File.Move(temp, path, overwrite: true);
    }
}
