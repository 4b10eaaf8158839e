namespace ConOps.Console.Notifications;

public static class NotificationsExtensions
{
    /// <summary>Targets, rules and incidents; the monitor that opens and resolves incidents; the sender.</summary>
    public static IServiceCollection AddNotifications(this IServiceCollection services)
    {
        services.AddOptions<NotificationOptions>()
            .BindConfiguration(NotificationOptions.Section)
            .Validate(o => o.ConfirmAfter >= TimeSpan.Zero && o.StartupGrace >= TimeSpan.Zero, "ConOps:Notifications:ConfirmAfter and StartupGrace must not be negative")
            .Validate(o => o.DeliveryTimeout > TimeSpan.Zero && o.DeliveryAttempts is >= 1 and <= 10, "ConOps:Notifications:DeliveryTimeout must be positive and DeliveryAttempts between 1 and 10")
            .ValidateOnStart();
        // The factory's request logging prints full URLs, and webhook URLs carry tokens.
        services.AddHttpClient(NotificationSender.HttpClientName).RemoveAllLoggers();
        services.AddSingleton<ReleaseOutcomes>();
        services.AddSingleton<NotificationSender>();
        services.AddSingleton<NotificationTargets>();
        services.AddHostedService(sp => sp.GetRequiredService<NotificationSender>());
        services.AddHostedService<IncidentMonitor>();
        return services;
    }
}
