using TorchSharp;

namespace KernelGen.Bench.Peers;

/// <summary>
/// Loads TorchSharp the way suite.md describes: TorchSharp-cpu 0.107.0's <c>libLibTorchSharp.so</c> records a
/// need for <c>GLIBCXX_3.4.32</c> (GCC 13), which Debian 12's libstdc++ lacks, although nothing calls the one
/// symbol behind it. The copy of the library in the build output — never the NuGet cache — gets that need marked
/// weak before the first call into TorchSharp; then one thread, and no autograd.
/// </summary>
public static class TorchPeer
{
    private const string Library = "libLibTorchSharp.so", Version = "GLIBCXX_3.4.32";
    private static bool s_loaded;

    /// <summary>Patches the build output's copy of the library if it needs it, loads TorchSharp, and sets one thread.</summary>
    public static void EnsureLoaded()
    {
        if (s_loaded)
        {
            return;
        }

        if (OperatingSystem.IsLinux())
        {
            string nugetCache = Path.GetFullPath(Path.Combine(
                Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"))) + Path.DirectorySeparatorChar;
            foreach (string path in new[] { Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", Library), Path.Combine(AppContext.BaseDirectory, Library) })
            {
                if (File.Exists(path) && !Path.GetFullPath(path).StartsWith(nugetCache, StringComparison.Ordinal))
                {
                    ElfVersionNeed.MarkWeak(path, Version);
                }
            }
        }

        torch.set_num_threads(1);
        torch.set_grad_enabled(false);
        s_loaded = true;
    }
}
