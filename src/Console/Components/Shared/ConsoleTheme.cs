using MudBlazor;

namespace ConOps.Console.Components.Shared;

/// <summary>The console's colours, light and dark. No web fonts: the console may run offline.</summary>
public static class ConsoleTheme
{
    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#1e6bd6",
            Secondary = "#5b6b7f",
            AppbarBackground = "#16263a",
            Background = "#f5f7fa",
            Surface = "#ffffff",
            DrawerBackground = "#ffffff",
            Success = "#1b8a4a",
            Warning = "#b76e00",
            Error = "#c62828",
            Info = "#1769aa",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#5aa2ff",
            Secondary = "#8fa1b7",
            AppbarBackground = "#0f1722",
            Background = "#111923",
            Surface = "#18222e",
            DrawerBackground = "#141d28",
            Success = "#3fbf73",
            Warning = "#f0a030",
            Error = "#ef5350",
            Info = "#4fa3e0",
        },
        Typography = new Typography
        {
            Default = new DefaultTypography { FontFamily = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica", "Arial", "sans-serif"] },
        },
    };
}
