using System.Diagnostics;

namespace KernelGen.Bench.Report;

/// <summary>Runs a process to its end and collects what it wrote: the build-cost row's builds and the peak-memory children.</summary>
internal static class ChildProcess
{
    /// <summary>Starts <paramref name="start"/> with its output and error redirected, waits for it, and returns its exit code, output and error.</summary>
    public static (int ExitCode, string Output, string Error) Run(ProcessStartInfo start)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using Process process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output, error.Result);
    }
}
