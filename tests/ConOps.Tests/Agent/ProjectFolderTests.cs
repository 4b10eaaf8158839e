using System.Security.Cryptography;
using System.Text;
using ConOps.Agent;
using ConOps.Agent.Docker;
using ConOps.Contract;
using ConOps.Tests.Compose;
using Google.Protobuf;
using Microsoft.Extensions.Options;

namespace ConOps.Tests.Agent;

/// <summary>The app folder: repository files are tracked like a checkout would, what the app writes is never touched.</summary>
public sealed class ProjectFolderTests
{
    [Fact]
    public void Repository_files_are_updated_when_the_repository_changes_them_and_removed_when_it_drops_them_unless_changed()
    {
        using var data = new TempFolder();
        var options = Options.Create(new AgentOptions { DataDirectory = data.Path });
        var store = new FileStore(options);
        var folder = new ProjectFolder(options, store);
        var root = folder.Root("shop");

        // Commit 1: conf/ holds a.conf and b.conf and c.conf; ./data is not in the repository.
        Prepare(folder, store, ("a.conf", "a1"), ("b.conf", "b1"), ("c.conf", "c1"));
        File.WriteAllText(Path.Combine(root, "data", "db.sqlite"), "rows");
        File.AppendAllText(Path.Combine(root, "conf", "b.conf"), "+local");
        File.AppendAllText(Path.Combine(root, "conf", "c.conf"), "+local");
        File.WriteAllText(Path.Combine(root, "conf", "runtime.cache"), "cache");

        // Commit 2: a.conf changes, b.conf is unchanged, c.conf is dropped, d.conf appears.
        Prepare(folder, store, ("a.conf", "a2"), ("b.conf", "b1"), ("d.conf", "d1"));
        Assert.Equal("a2", File.ReadAllText(Path.Combine(root, "conf", "a.conf")));
        Assert.Equal("b1+local", File.ReadAllText(Path.Combine(root, "conf", "b.conf")));
        Assert.Equal("c1+local", File.ReadAllText(Path.Combine(root, "conf", "c.conf"))); // changed since: kept
        Assert.Equal("d1", File.ReadAllText(Path.Combine(root, "conf", "d.conf")));
        Assert.Equal("cache", File.ReadAllText(Path.Combine(root, "conf", "runtime.cache")));
        Assert.Equal("rows", File.ReadAllText(Path.Combine(root, "data", "db.sqlite")));

        // Commit 3: d.conf is dropped again, untouched since it was written: removed.
        Prepare(folder, store, ("a.conf", "a2"), ("b.conf", "b1"));
        Assert.False(File.Exists(Path.Combine(root, "conf", "d.conf")));
    }

    [Fact]
    public void A_bind_path_that_would_leave_the_app_folder_is_refused()
    {
        Assert.Equal("/srv/apps/shop/project/conf/x", ProjectFolder.Locate("/srv/apps/shop/project", "conf/x"));
        Assert.Equal("/srv/apps/shop/project", ProjectFolder.Locate("/srv/apps/shop/project", "."));
        Assert.Throws<InvalidOperationException>(() => ProjectFolder.Locate("/srv/apps/shop/project", "../other/project"));
    }

    /// <summary>An app with ./conf (a repository folder holding <paramref name="files"/>) and ./data (created) bound, as the console sends it.</summary>
    private static void Prepare(ProjectFolder folder, FileStore store, params (string Name, string Content)[] files)
    {
        var app = new AppDesiredState { App = "shop" };
        var listing = new StringBuilder();
        foreach (var (name, content) in files)
        {
            var file = Content(content, "conf/" + name);
            app.Files.Add(file);
            listing.Append(name).Append('\0').Append(file.Digest).Append('\n');
        }
        var folderListing = Content(listing.ToString(), "conf/ (folder listing)");
        app.Files.Add(folderListing);
        var spec = new ServiceSpec { Name = "web", Image = "web:1" };
        spec.Mounts.Add(new Mount { Type = "bind", Target = "/etc/app", ProjectPath = "conf", CreateHostPath = true });
        spec.Mounts.Add(new Mount { Type = "bind", Target = "/data", ProjectPath = "data", CreateHostPath = true });
        spec.SourceDigests["conf"] = folderListing.Digest;
        app.Services.Add(new DesiredService { Spec = spec, ConfigHash = ConfigHash.Compute(spec) });
        store.Write(app.Files);
        folder.Prepare(app);
    }

    private static FileContent Content(string text, string origin)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return new FileContent { Digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes)), Content = ByteString.CopyFrom(bytes), Origin = origin };
    }
}
