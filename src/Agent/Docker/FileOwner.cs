using System.Runtime.InteropServices;

namespace ConOps.Agent.Docker;

/// <summary>Sets the owner of a file (the platform's <c>chown</c>; .NET has no managed call for it).</summary>
internal static partial class FileOwner
{
    /// <summary>Gives <paramref name="path"/> to the user and group (null keeps that part). Null on success, else the error.</summary>
    public static string? Change(string path, uint? user, uint? group)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsFreeBSD())
        {
            return "file owners can only be set on Unix";
        }
        // (uid_t)-1 and (gid_t)-1 leave that part unchanged.
        return Chown(path, user ?? uint.MaxValue, group ?? uint.MaxValue) == 0
            ? null
            : Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
    }

    [LibraryImport("libc", EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Chown(string path, uint owner, uint group);
}
