using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;

namespace KernelGen.Generator.Emit;

/// <summary>
/// The file-local <c>using</c> aliases generated files spell their framework types with. Each is prefixed with
/// <c>Kg</c> and points at a <c>global::</c> name, so neither a user's type called <c>Vector256</c> or
/// <c>Unsafe</c>, nor a namespace of theirs called <c>System</c>, nor their own <c>global using</c> aliases can
/// change what the kernels mean. A file declares only the aliases it uses.
/// </summary>
internal static class Aliases
{
    private static readonly (string Alias, string Target)[] All =
    [
        ("KgUnsafe", "global::System.Runtime.CompilerServices.Unsafe"),
        ("KgMarshal", "global::System.Runtime.InteropServices.MemoryMarshal"),
        ("KgMethodImpl", "global::System.Runtime.CompilerServices.MethodImplAttribute"),
        ("KgImpl", "global::System.Runtime.CompilerServices.MethodImplOptions"),
        ("KgSpan", "global::System.Span<float>"),
        ("KgReadOnlySpan", "global::System.ReadOnlySpan<float>"),
        ("KgDoubles", "global::System.Span<double>"),
        ("KgReadOnlyDoubles", "global::System.ReadOnlySpan<double>"),
        ("KgArrayPool", "global::System.Buffers.ArrayPool<float>"),
        ("KgTiles", "global::KernelGen.Generated.DirectTiles"),
        ("KgTileShape", "global::KernelGen.Generated.IDirectTileShape"),
        ("KgMath", "global::System.Math"),
        ("KgMathF", "global::System.MathF"),
        ("KgV512", "global::System.Runtime.Intrinsics.Vector512"),
        ("KgV256", "global::System.Runtime.Intrinsics.Vector256"),
        ("KgV128", "global::System.Runtime.Intrinsics.Vector128"),
        ("KgF512", "global::System.Runtime.Intrinsics.Vector512<float>"),
        ("KgF256", "global::System.Runtime.Intrinsics.Vector256<float>"),
        ("KgF128", "global::System.Runtime.Intrinsics.Vector128<float>"),
        ("KgI512", "global::System.Runtime.Intrinsics.Vector512<int>"),
        ("KgI256", "global::System.Runtime.Intrinsics.Vector256<int>"),
        ("KgI128", "global::System.Runtime.Intrinsics.Vector128<int>"),
        ("KgAvx512F", "global::System.Runtime.Intrinsics.X86.Avx512F"),
        ("KgFma", "global::System.Runtime.Intrinsics.X86.Fma"),
        ("KgAvx", "global::System.Runtime.Intrinsics.X86.Avx"),
        ("KgSse3", "global::System.Runtime.Intrinsics.X86.Sse3"),
        ("KgAdvSimd", "global::System.Runtime.Intrinsics.Arm.AdvSimd"),
        ("KgActivations", "global::KernelGen.ActivationFunctions"),
        ("KgWinograd", "global::KernelGen.WinogradTransforms"),
        ("KgWinograd2x2", "global::KernelGen.Winograd2x2Transforms"),
        ("KgWinogradRows", "global::KernelGen.WinogradBandRows"),
        ("KgPackedTiles", "global::KernelGen.PackedTiles"),
        ("KgSimd", "global::KernelGen.SimdMath"),
    ];

    private static readonly Regex Word = new(@"\bKg[A-Za-z0-9]+\b", RegexOptions.CultureInvariant);

    /// <summary>The <c>using</c> directives for the aliases that <paramref name="code"/> mentions, in a fixed order.</summary>
    public static IEnumerable<string> For(string code)
    {
        var used = new HashSet<string>(Word.Matches(code).Cast<Match>().Select(m => m.Value));
        return All.Where(a => used.Contains(a.Alias)).Select(a => $"using {a.Alias} = {a.Target};");
    }
}
