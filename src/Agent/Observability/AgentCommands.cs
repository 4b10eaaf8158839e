using ConOps.Contract;

namespace ConOps.Agent.Observability;

/// <summary>
/// One-shot diagnostic commands of the agent binary, run instead of the service when the first argument
/// names one. <c>conops-agent config-hash</c> reads a desired state (protobuf bytes) from standard input
/// and prints each service's config hash as this build computes it, so a Native AOT agent can be checked
/// against the console: both must agree or every container would be recreated.
/// </summary>
public static class AgentCommands
{
    /// <summary>Runs the command named by <paramref name="args"/>, if any. Returns null when the agent should start normally.</summary>
    public static int? TryRun(string[] args)
    {
        if (args.Length == 0)
        {
            return null;
        }
        switch (args[0])
        {
            case "config-hash":
                return PrintConfigHashes(System.Console.OpenStandardInput(), System.Console.Out);
            case "version":
                System.Console.Out.WriteLine(Connection.AgentIdentity.Version);
                return 0;
            default:
                return null;
        }
    }

    private static int PrintConfigHashes(Stream input, TextWriter output)
    {
        using var buffer = new MemoryStream();
        input.CopyTo(buffer);
        var state = DesiredState.Parser.ParseFrom(buffer.ToArray());
        foreach (var app in state.Apps)
        {
            foreach (var service in app.Services)
            {
                output.WriteLine($"{app.App}/{service.Spec.Name} {ConfigHash.Compute(service.Spec)}");
            }
        }
        return 0;
    }
}
