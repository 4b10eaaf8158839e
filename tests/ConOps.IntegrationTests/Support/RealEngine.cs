namespace ConOps.IntegrationTests.Support;

/// <summary>Tests that drive the real engine run one after another: on 2 cores, parallel container churn only adds noise.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RealEngine
{
    public const string Name = "real engine";
}
