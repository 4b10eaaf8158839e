using System.Runtime.CompilerServices;
using Bunit;
using ConOps.Console.Components.Logs;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace ConOps.Tests.Components;

public sealed class LogViewTests : IAsyncLifetime
{
    private readonly BunitContext _bunit = new();

    public LogViewTests()
    {
        _bunit.Services.AddMudServices();
        _bunit.JSInterop.Mode = JSRuntimeMode.Loose;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _bunit.DisposeAsync();

    [Fact]
    public void Ansi_colours_become_styled_runs_and_other_escapes_disappear()
    {
        var runs = AnsiText.Parse("\u001b[1;31mERROR\u001b[0m disk \u001b[2Kfull \u001b[92mok");

        Assert.Equal([new StyledRun("ERROR", "ansi-fg-1 ansi-bold"), new StyledRun(" disk full ", ""), new StyledRun("ok", "ansi-fg-10")], runs);
        Assert.Equal("ERROR disk full ok", AnsiText.Plain("\u001b[1;31mERROR\u001b[0m disk \u001b[2Kfull \u001b[92mok"));
        Assert.Equal([new StyledRun("<b>not markup</b>", "")], AnsiText.Parse("<b>not markup</b>"));
    }

    [Fact]
    public void The_buffer_keeps_only_the_newest_lines_and_counts_the_rest()
    {
        var buffer = new LogBuffer(3);
        for (var i = 1; i <= 5; i++)
        {
            buffer.Add(new LogLine(i, null, "s", $"line {i}", false));
        }

        Assert.Equal(["line 3", "line 4", "line 5"], buffer.Snapshot().Select(l => l.Text));
        Assert.Equal(2, buffer.Dropped);
        Assert.Equal(["line 4"], buffer.Snapshot("LINE 4").Select(l => l.Text));
    }

    [Fact]
    public void Search_matches_are_split_out_for_highlighting() =>
        Assert.Equal([("a ", false), ("Err", true), ("or b ", false), ("err", true)], LogView.Highlight("a Error b err", "err"));

    [Fact]
    public void Lines_arriving_in_a_burst_render_in_batches_bounded_by_capacity()
    {
        var view = _bunit.Render<LogView>(p => p
            .Add(v => v.Open, ct => Lines(5_000, ct))
            .Add(v => v.Capacity, 1_000));

        view.WaitForAssertion(() =>
        {
            Assert.Contains("1000 lines", view.Find("[data-testid=log-stats]").TextContent);
            Assert.Contains("4000 older dropped", view.Find("[data-testid=log-stats]").TextContent);
        }, TimeSpan.FromSeconds(5));
        Assert.NotEmpty(view.FindAll(".ansi-fg-2"));
    }

    private static async IAsyncEnumerable<LogLine> Lines(int count, [EnumeratorCancellation] CancellationToken ct)
    {
        for (var i = 1; i <= count; i++)
        {
            yield return new LogLine(i, DateTimeOffset.UnixEpoch.AddSeconds(i), "nas/web", $"\u001b[32mGET\u001b[0m /item/{i}", false);
        }
        await Task.Yield();
        ct.ThrowIfCancellationRequested();
    }
}
