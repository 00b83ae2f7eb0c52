using System.Diagnostics;
using Spectre.Console;

namespace KernelGen.Samples;

/// <summary>
/// Shows training as it goes: on a terminal a live progress bar per epoch with the running loss and
/// throughput; when the output is redirected (a log, a pipe) plain lines only, a progress line every
/// <see cref="LogDisplay.Interval"/>, so that a log holds no escape codes.
/// </summary>
internal abstract class TrainingDisplay
{
    /// <summary>The display that suits the console: live on an interactive terminal, plain lines otherwise.</summary>
    public static TrainingDisplay Create() =>
        Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive || !AnsiConsole.Profile.Capabilities.Ansi
            ? new LogDisplay()
            : new LiveDisplay();

    /// <summary>Runs <paramref name="body"/>, which calls the other members, with the display up.</summary>
    public abstract void Run(Action body);

    /// <summary>An epoch of <paramref name="steps"/> steps starts.</summary>
    public abstract void BeginEpoch(string title, int steps);

    /// <summary><paramref name="done"/> steps of the epoch are done; the loss is the running mean over the epoch.</summary>
    public abstract void Step(int done, double runningLoss, double imagesPerSecond);

    /// <summary>The epoch is over.</summary>
    public virtual void EndEpoch()
    {
    }

    /// <summary>Writes a line of text (not markup) above the progress bars.</summary>
    public abstract void WriteLine(string text);

    private protected static string Status(string title, double runningLoss, double imagesPerSecond) =>
        $"{title}  loss {runningLoss:F4}  {imagesPerSecond:N0} images/s";
}

/// <summary>Spectre.Console's live progress bars; finished epochs' bars make way for their summary lines.</summary>
internal sealed class LiveDisplay : TrainingDisplay
{
    private ProgressContext? _context;
    private ProgressTask? _task;
    private string _title = "";

    public override void Run(Action body) =>
        AnsiConsole.Progress()
            .AutoClear(true)
            .HideCompleted(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                _context = context;
                body();
                _context = null;
            });

    public override void BeginEpoch(string title, int steps)
    {
        _title = title;
        _task = (_context ?? throw new InvalidOperationException("BeginEpoch outside Run.")).AddTask(Markup.Escape(title), maxValue: steps);
    }

    public override void Step(int done, double runningLoss, double imagesPerSecond)
    {
        if (_task is not null)
        {
            _task.Value = done;
            _task.Description = Markup.Escape(Status(_title, runningLoss, imagesPerSecond));
        }
    }

    public override void EndEpoch()
    {
        _task?.StopTask();
        _task = null;
    }

    public override void WriteLine(string text) => AnsiConsole.Console.WriteLine(text);
}

/// <summary>Plain lines for logs: the epoch's status every <see cref="Interval"/>.</summary>
internal sealed class LogDisplay : TrainingDisplay
{
    /// <summary>How often a progress line is written during an epoch.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);

    private readonly Stopwatch _sinceLine = new();
    private string _title = "";
    private int _steps;

    public override void Run(Action body) => body();

    public override void BeginEpoch(string title, int steps)
    {
        _title = title;
        _steps = steps;
        _sinceLine.Restart();
    }

    public override void Step(int done, double runningLoss, double imagesPerSecond)
    {
        if (_sinceLine.Elapsed >= Interval && done < _steps)
        {
            Console.WriteLine($"  {Status(_title, runningLoss, imagesPerSecond)}  ({done}/{_steps} steps)");
            _sinceLine.Restart();
        }
    }

    public override void WriteLine(string text) => Console.WriteLine(text);
}
