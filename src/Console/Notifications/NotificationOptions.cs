namespace ConOps.Console.Notifications;

/// <summary>Notification settings, bound from <c>ConOps:Notifications</c>.</summary>
public sealed class NotificationOptions
{
    public const string Section = "ConOps:Notifications";

    /// <summary>A problem must last this long before anyone is told (a restarting agent is not a page).</summary>
    public TimeSpan ConfirmAfter { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>After the console starts, incidents are not resolved for this long: agents first have to report again.</summary>
    public TimeSpan StartupGrace { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Timeout of one delivery attempt.</summary>
    public TimeSpan DeliveryTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Attempts per message before it is dropped (with a warning in the log).</summary>
    public int DeliveryAttempts { get; set; } = 3;
}
