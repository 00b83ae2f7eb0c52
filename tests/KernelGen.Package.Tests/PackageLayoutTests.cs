using System.IO.Compression;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Runtime.Versioning;
using System.Xml.Linq;

namespace KernelGen.Package.Tests;

/// <summary>
/// The KernelGen package as `dotnet pack` writes it: the runtime for net8.0 and net10.0 under lib/, the generator
/// under analyzers/dotnet/cs, and nothing that would make the generator a reference or a dependency of the user's project.
/// </summary>
public sealed class PackageLayoutTests
{
    private static readonly string[] LibraryFrameworks = ["net8.0", "net10.0"];

    private static string Metadata(string key) => typeof(PackageLayoutTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == key).Value!;

    private static ZipArchive Open(string key)
    {
        string path = Metadata(key);
        Assert.True(File.Exists(path), $"No package at {path}: the build of this project packs runtime/KernelGen there.");
        return ZipFile.OpenRead(path);
    }

    private static HashSet<string> Entries(ZipArchive package) => [.. package.Entries.Select(e => e.FullName)];

    private static XElement Nuspec(ZipArchive package)
    {
        ZipArchiveEntry entry = Assert.Single(package.Entries, e => e.FullName == "KernelGen.nuspec");
        using Stream stream = entry.Open();
        return XDocument.Load(stream).Root!;
    }

    private static IEnumerable<XElement> Named(XElement root, string name) => root.Descendants().Where(e => e.Name.LocalName == name);

    private static string? Text(XElement nuspec, string name) => Named(nuspec, name).SingleOrDefault()?.Value;

    private static MemoryStream Read(ZipArchive package, string name)
    {
        ZipArchiveEntry entry = package.GetEntry(name) ?? throw new Xunit.Sdk.XunitException($"The package has no {name}.");
        var copy = new MemoryStream();
        using (Stream stream = entry.Open())
        {
            stream.CopyTo(copy);
        }

        copy.Position = 0;
        return copy;
    }

    /// <summary>An assembly's name, target framework and referenced assemblies, read from its metadata without loading it.</summary>
    private static (string Name, string? Framework, Dictionary<string, Version> References) Describe(ZipArchive package, string name)
    {
        using MemoryStream bytes = Read(package, name);
        using var pe = new PEReader(bytes);
        MetadataReader reader = pe.GetMetadataReader();
        string? framework = null;
        foreach (CustomAttributeHandle handle in reader.GetAssemblyDefinition().GetCustomAttributes())
        {
            CustomAttribute attribute = reader.GetCustomAttribute(handle);
            if (attribute.Constructor.Kind == HandleKind.MemberReference
                && reader.GetMemberReference((MemberReferenceHandle)attribute.Constructor).Parent is { Kind: HandleKind.TypeReference } parent
                && reader.GetString(reader.GetTypeReference((TypeReferenceHandle)parent).Name) == nameof(TargetFrameworkAttribute))
            {
                BlobReader value = reader.GetBlobReader(attribute.Value);
                value.ReadUInt16(); // prolog
                framework = value.ReadSerializedString();
            }
        }

        Dictionary<string, Version> references = reader.AssemblyReferences
            .Select(r => reader.GetAssemblyReference(r))
            .ToDictionary(r => reader.GetString(r.Name), r => r.Version);
        return (reader.GetString(reader.GetAssemblyDefinition().Name), framework, references);
    }

    [Fact]
    public void The_library_is_under_lib_for_net8_and_net10_with_its_documentation()
    {
        using ZipArchive package = Open("PackagePath");
        HashSet<string> entries = Entries(package);
        foreach (string framework in LibraryFrameworks)
        {
            Assert.Contains($"lib/{framework}/KernelGen.dll", entries);
            Assert.Contains($"lib/{framework}/KernelGen.xml", entries);
            (string name, string? built, _) = Describe(package, $"lib/{framework}/KernelGen.dll");
            Assert.Equal("KernelGen", name);
            Assert.Equal($".NETCoreApp,Version=v{framework["net".Length..]}", built);
        }
    }

    [Fact]
    public void Lib_holds_the_two_frameworks_and_nothing_else()
    {
        using ZipArchive package = Open("PackagePath");
        string[] libraryFolders = [.. Entries(package).Where(e => e.StartsWith("lib/", StringComparison.Ordinal))
            .Select(e => e.Split('/')[1]).Distinct().Order(StringComparer.Ordinal)];
        Assert.Equal(LibraryFrameworks.Order(StringComparer.Ordinal), libraryFolders);
        Assert.DoesNotContain(Entries(package), e => e.StartsWith("lib/netstandard2.0/", StringComparison.Ordinal));
        Assert.DoesNotContain(Entries(package), e => e.StartsWith("lib/", StringComparison.Ordinal) && e.Contains("Generator", StringComparison.Ordinal));
    }

    [Fact]
    public void The_generator_is_a_CSharp_analyzer_built_for_netstandard2_0_against_Roslyn_4()
    {
        using ZipArchive package = Open("PackagePath");
        string[] analyzers = [.. Entries(package).Where(e => e.StartsWith("analyzers/", StringComparison.Ordinal))];
        Assert.Equal(["analyzers/dotnet/cs/KernelGen.Generator.dll"], analyzers);

        (string name, string? framework, Dictionary<string, Version> references) = Describe(package, "analyzers/dotnet/cs/KernelGen.Generator.dll");
        Assert.Equal("KernelGen.Generator", name);
        Assert.Equal(".NETStandard,Version=v2.0", framework);
        // Any SDK or IDE whose Roslyn is at least the one it is built against loads it: keep that at 4.x, and no higher than 4.8.
        Version roslyn = references["Microsoft.CodeAnalysis"];
        Assert.Equal(4, roslyn.Major);
        Assert.True(roslyn <= new Version(4, 8, 0, 0), $"The generator is built against Roslyn {roslyn}, newer than 4.8.");
        Assert.Equal(roslyn, references["Microsoft.CodeAnalysis.CSharp"]);
        // Only what the compiler itself provides: no assembly of its own that the package would have to carry beside it.
        Assert.All(references.Keys, r => Assert.True(
            r is "netstandard" or "Microsoft.CodeAnalysis" or "Microsoft.CodeAnalysis.CSharp" || r.StartsWith("System.", StringComparison.Ordinal),
            $"The generator references {r}, which the package does not carry."));
    }

    [Fact]
    public void The_package_depends_on_nothing_least_of_all_the_generator()
    {
        using ZipArchive package = Open("PackagePath");
        XElement nuspec = Nuspec(package);
        Assert.Empty(Named(nuspec, "dependency"));
        Assert.DoesNotContain(Named(nuspec, "group"), g => g.HasElements);
        Assert.Equal(LibraryFrameworks.Select(f => f.ToUpperInvariant()).Order(StringComparer.Ordinal),
            Named(nuspec, "group").Select(g => g.Attribute("targetFramework")!.Value.ToUpperInvariant()).Order(StringComparer.Ordinal));
        Assert.Empty(Named(nuspec, "frameworkReference"));
    }

    [Fact]
    public void The_package_says_what_it_is()
    {
        using ZipArchive package = Open("PackagePath");
        XElement nuspec = Nuspec(package);
        Assert.Equal("KernelGen", Text(nuspec, "id"));
        Assert.Equal(Metadata("PackageVersion"), Text(nuspec, "version"));
        Assert.Equal("KernelGen contributors", Text(nuspec, "authors"));
        Assert.Equal("MIT", Text(nuspec, "license"));
        Assert.False(string.IsNullOrWhiteSpace(Text(nuspec, "description")));
        Assert.Contains("source-generator", Text(nuspec, "tags")!.Split(' '));
        Assert.Equal("README.md", Text(nuspec, "readme"));

        HashSet<string> entries = Entries(package);
        Assert.Contains("README.md", entries);
        Assert.Contains("LICENSE", entries);
        using var readme = new StreamReader(Read(package, "README.md"));
        string text = readme.ReadToEnd();
        Assert.Contains("dotnet add package KernelGen", text, StringComparison.Ordinal);
        Assert.DoesNotContain("](docs/", text, StringComparison.Ordinal); // no links relative to the repository
        using var license = new StreamReader(Read(package, "LICENSE"));
        Assert.StartsWith("MIT License", license.ReadToEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_symbol_package_holds_the_library_pdbs()
    {
        using ZipArchive symbols = Open("SymbolPackagePath");
        HashSet<string> entries = Entries(symbols);
        foreach (string framework in LibraryFrameworks)
        {
            Assert.Contains($"lib/{framework}/KernelGen.pdb", entries);
        }
    }
}
