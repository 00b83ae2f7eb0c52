using System.Linq;

namespace KernelGen.Generator.Model;

/// <summary>A type that contains the kernel method, written as <c>{Keyword} {Name}</c> in a partial declaration.</summary>
internal sealed record ContainingType(string Keyword, string Name);

/// <summary>
/// Where a kernel goes and how its signature reads: everything the emitter needs to repeat the
/// partial method's declaration, as plain values.
/// </summary>
/// <param name="Namespace">The namespace, or empty for the global namespace.</param>
/// <param name="Types">The containing types, outermost first.</param>
/// <param name="Modifiers">The method's modifiers as written (<c>private static partial</c>).</param>
/// <param name="Name">The method's name.</param>
/// <param name="Parameters">The parameter names, in order.</param>
/// <param name="HasBias">Whether a bias span follows the weights.</param>
/// <param name="HasBatch">Whether a trailing <c>int batch</c> parameter is present.</param>
/// <param name="HintSuffix">Added to the file name when other kernels in the type share the method's name up to case.</param>
internal sealed record MethodTarget(
    string Namespace,
    EquatableArray<ContainingType> Types,
    string Modifiers,
    string Name,
    EquatableArray<string> Parameters,
    bool HasBias,
    bool HasBatch,
    string HintSuffix)
{
    /// <summary>The generated file's name: <c>{Namespace}.{Type}.{Method}.g.cs</c>.</summary>
    public string HintName => HintNames.For(Namespace, Types, Name + HintSuffix);

    public string Input => Parameters[0];

    public string Output => Parameters[Parameters.Count - (HasBatch ? 2 : 1)];

    public string Batch => HasBatch ? Parameters[Parameters.Count - 1] : "1";
}

/// <summary>The names of generated files.</summary>
internal static class HintNames
{
    /// <summary><c>{Namespace}.{Outer}.{Inner}.{last}.g.cs</c>, without the namespace when it is global, and without <c>@</c>.</summary>
    public static string For(string ns, EquatableArray<ContainingType> types, string last) =>
        string.Join(".", types.Select(t => t.Name).Prepend(ns).Where(n => n.Length > 0).Append(last).Append("g").Append("cs")).Replace("@", "");
}
