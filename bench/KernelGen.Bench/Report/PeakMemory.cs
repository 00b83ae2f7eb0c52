using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace KernelGen.Bench.Report;

/// <summary>One process's peak working set: a network case run by one implementation (or by none: the empty process).</summary>
public sealed record PeakWorkingSet(string Shape, string Implementation, long Bytes);

/// <summary>
/// The whole networks' peak memory: for each case and implementation, a fresh process of the bench creates the network
/// (its weights, buffers and session), runs it five times and reports its peak working set (<c>VmHWM</c> on Linux);
/// a process that creates nothing gives the floor every figure includes (the runtime and the bench's own code).
/// </summary>
public sealed record PeakMemory(long EmptyProcessBytes, IReadOnlyList<PeakWorkingSet> Processes, DateTime Date)
{
    public const string None = "None";
    private const string ChildOption = "--peak-memory-of";

    /// <summary>The bench's network cases on one thread (peak memory does not depend on the threads).</summary>
    private static readonly string[] s_shapes = [.. NetworkBenchmarks.Cases.Where(c => NetworkCase.Parse(c).Threads == 1)];
    private static readonly string[] s_implementations = [NetworkRunner.Generated, NetworkRunner.OnnxRuntime, NetworkRunner.TorchSharp];
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true };

    /// <summary>Runs one child process per case and implementation, one at a time.</summary>
    public static PeakMemory Measure()
    {
        GeneratedRunner.ResNet18Weights();
        long empty = Child(s_shapes[0], None);
        var processes = new List<PeakWorkingSet>();
        foreach (string shape in s_shapes)
        {
            foreach (string implementation in s_implementations)
            {
                processes.Add(new PeakWorkingSet(shape, implementation, Child(shape, implementation)));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{shape} {implementation}: {processes[^1].Bytes / 1e6:F1} MB"));
            }
        }

        return new PeakMemory(empty, processes, DateTime.UtcNow);
    }

    /// <summary>The child's side: <c>--peak-memory-of shape implementation</c> in <paramref name="args"/>; false when absent.</summary>
    public static bool RunChild(IReadOnlyList<string> args)
    {
        int at = args.ToList().IndexOf(ChildOption);
        if (at < 0)
        {
            return false;
        }

        if (args[at + 2] != None)
        {
            using NetworkRunner runner = NetworkRunner.Create(NetworkCase.Parse(args[at + 1]), args[at + 2]);
            for (int i = 0; i < 5; i++)
            {
                runner.Run();
            }
        }

        using var self = Process.GetCurrentProcess();
        self.Refresh();
        Console.WriteLine(self.PeakWorkingSet64.ToString(CultureInfo.InvariantCulture));
        return true;
    }

    private static long Child(string shape, string implementation)
    {
        string program = Environment.ProcessPath ?? throw new InvalidOperationException("No process path to start the measuring process from.");
        var start = new ProcessStartInfo(program);
        if (Path.GetFileNameWithoutExtension(program) == "dotnet")
        {
            start.ArgumentList.Add(typeof(PeakMemory).Assembly.Location);
        }

        foreach (string argument in new[] { ChildOption, shape, implementation })
        {
            start.ArgumentList.Add(argument);
        }

        (int exitCode, string output, string error) = ChildProcess.Run(start);
        string last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
        return exitCode == 0 && long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out long bytes)
            ? bytes
            : throw new InvalidOperationException($"Measuring {shape} {implementation} failed ({exitCode}):\n{output}\n{error}");
    }

    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, s_json));

    public static PeakMemory? Load(string path) => File.Exists(path) ? JsonSerializer.Deserialize<PeakMemory>(File.ReadAllText(path)) : null;

    /// <summary>The peak working set of <paramref name="shape"/> run by <paramref name="implementation"/>, as the report shows it.</summary>
    public string Describe(string shape, string implementation) =>
        Processes.SingleOrDefault(p => p.Shape == shape && p.Implementation == implementation) is { } p
            ? string.Create(CultureInfo.InvariantCulture, $"{p.Bytes / 1e6:F0} MB ({(p.Bytes - EmptyProcessBytes) / 1e6:F0})")
            : "";

    /// <summary>The sentence under the whole-network table.</summary>
    public void Explain(StringBuilder md) =>
        md.AppendLine(CultureInfo.InvariantCulture,
            $"Peak memory is the peak working set (`VmHWM`) of a fresh process that creates the one-thread network and runs it five times (`--peak-memory`, measured {Date:yyyy-MM-dd}); in brackets, above that of a process of the bench that creates nothing ({EmptyProcessBytes / 1e6:F0} MB).").AppendLine();
}
