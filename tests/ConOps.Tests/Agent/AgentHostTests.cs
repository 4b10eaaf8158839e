using ConOps.Agent.Hosting;
using Microsoft.Extensions.Configuration;

namespace ConOps.Tests.Agent;

public sealed class AgentHostTests
{
    [Fact]
    public void A_data_directory_the_agent_cannot_create_is_named_with_the_command_that_fixes_it()
    {
        // A file where the folder should be fails for every user, root included (the tests may run as root).
        var blocker = Path.GetTempFileName();
        try
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ConOps:Agent:DataDirectory"] = blocker }).Build();

            var problem = AgentHost.DataDirectoryProblem(configuration);

            Assert.NotNull(problem);
            Assert.Contains(blocker, problem, StringComparison.Ordinal);
            Assert.Contains("install -d -o", problem, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(blocker);
        }
    }

    [Fact]
    public void A_writable_data_directory_is_created_and_left_clean()
    {
        var folder = Path.Combine(Path.GetTempPath(), "conops-agent-host-" + Guid.NewGuid().ToString("N"));
        try
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ConOps:Agent:DataDirectory"] = folder }).Build();

            Assert.Null(AgentHost.DataDirectoryProblem(configuration));
            Assert.Empty(Directory.EnumerateFileSystemEntries(folder));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
