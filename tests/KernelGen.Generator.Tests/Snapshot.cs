using System.Reflection;
using System.Runtime.CompilerServices;

namespace KernelGen.Generator.Tests;

/// <summary>
/// Compares text with a committed snapshot, named as Verify names them (<c>{Class}.{Test}.verified.cs</c>,
/// in Snapshots/ beside the test). On a mismatch it writes <c>{Class}.{Test}.received.cs</c> to read and,
/// if right, move over the verified file. With KERNELGEN_ACCEPT_SNAPSHOTS=1 it accepts the new text instead.
/// </summary>
internal static class Snapshot
{
    /// <summary>This test project's folder, recorded at build time.</summary>
    public static string ProjectDirectory { get; } = typeof(Snapshot).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "ProjectDirectory").Value!;

    public static void Verify(string actual, string className, [CallerMemberName] string test = "")
    {
        string folder = Path.Combine(ProjectDirectory, "Snapshots");
        string verified = Path.Combine(folder, $"{className}.{test}.verified.cs");
        string received = Path.Combine(folder, $"{className}.{test}.received.cs");
        actual = actual.ReplaceLineEndings("\n");
        string? expected = File.Exists(verified) ? File.ReadAllText(verified).ReplaceLineEndings("\n") : null;
        if (expected == actual)
        {
            File.Delete(received);
            return;
        }

        if (Environment.GetEnvironmentVariable("KERNELGEN_ACCEPT_SNAPSHOTS") == "1")
        {
            File.WriteAllText(verified, actual);
            File.Delete(received);
            return;
        }

        File.WriteAllText(received, actual);
        Assert.Fail(expected is null
            ? $"No snapshot yet: read {received} and, if it is right, rename it to {Path.GetFileName(verified)}."
            : $"The generated code differs from {Path.GetFileName(verified)}: compare it with {received}.");
    }
}
