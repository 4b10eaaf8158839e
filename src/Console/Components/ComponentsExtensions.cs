using MudBlazor.Services;

namespace ConOps.Console.Components;

public static class ComponentsExtensions
{
    public static IServiceCollection AddConsoleUi(this IServiceCollection services)
    {
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();
        return services;
    }

    public static WebApplication MapConsoleUi(this WebApplication app)
    {
        app.UseAntiforgery();
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
