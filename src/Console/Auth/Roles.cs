namespace ConOps.Console.Auth;

/// <summary>
/// The three roles, each including the ones before it: a viewer reads, an operator also syncs, approves,
/// rolls back and reads logs, an admin also changes settings and users. A principal carries one role claim
/// per role it includes, so <c>RequireRole(Operator)</c> also admits admins.
/// </summary>
public static class Roles
{
    public const string Viewer = "viewer";
    public const string Operator = "operator";
    public const string Admin = "admin";

    public static readonly IReadOnlyList<string> All = [Viewer, Operator, Admin];

    public static bool IsKnown(string? role) => role is not null && All.Contains(role);

    /// <summary>The role and every role below it, e.g. admin -> admin, operator, viewer.</summary>
    public static IEnumerable<string> Including(string role) => All.Take(Rank(role) + 1);

    /// <summary>True when <paramref name="held"/> is at least <paramref name="required"/>.</summary>
    public static bool Satisfies(string held, string required) => Rank(held) >= Rank(required);

    private static int Rank(string role) => role switch
    {
        Admin => 2,
        Operator => 1,
        Viewer => 0,
        _ => -1,
    };
}

/// <summary>Authorization policy names; one per role.</summary>
public static class Policies
{
    public const string Viewer = Roles.Viewer;
    public const string Operator = Roles.Operator;
    public const string Admin = Roles.Admin;
}
