using System.Collections.Immutable;
using System.Globalization;

namespace KernelGen.Generator.Planning;

/// <summary>
/// One of the three code paths every kernel has — Vector512, Vector256, scalar — and how its
/// arithmetic is spelled. The paths share one emitter; only these spellings and the register budget differ.
/// </summary>
/// <param name="Name">The path's name, used in method names and comments.</param>
/// <param name="Width">Floats per vector (1 for scalar).</param>
/// <param name="Registers">Vector registers the JIT can use on the hardware that takes this path.</param>
/// <param name="Accumulators">How many accumulators a convolution tile aims for.</param>
/// <param name="LegacyIntrinsics">Spell FMA with the x86 intrinsics of .NET 8 instead of the portable .NET 9 API.</param>
internal sealed record SimdPath(string Name, int Width, int Registers, int Accumulators, bool LegacyIntrinsics)
{
    private const string Intrinsics = "global::System.Runtime.Intrinsics.";
    private const string Unsafe = "global::System.Runtime.CompilerServices.Unsafe";

    public static ImmutableArray<SimdPath> All(bool legacyIntrinsics) => ImmutableArray.Create(
        new SimdPath("Vector512", 16, 32, 24, legacyIntrinsics),
        new SimdPath("Vector256", 8, 16, 12, legacyIntrinsics),
        new SimdPath("Scalar", 1, 16, 8, legacyIntrinsics));

    public bool IsScalar => Width == 1;

    /// <summary>The condition under which this path runs (the scalar path is the fallback).</summary>
    public string Condition => LegacyIntrinsics
        ? Name == "Vector512" ? $"{Intrinsics}X86.Avx512F.IsSupported" : $"{Intrinsics}X86.Fma.IsSupported"
        : $"{Intrinsics}{Name}.IsHardwareAccelerated";

    /// <summary>The element type of this path's arithmetic.</summary>
    public string Type => IsScalar ? "float" : $"{Intrinsics}{Name}<float>";

    private string Static => $"{Intrinsics}{Name}";

    public string Zero => IsScalar ? "0f" : $"{Type}.Zero";

    public string Load(string reference, int offset) => IsScalar
        ? $"{Unsafe}.Add(ref {reference}, {Int(offset)})"
        : $"{Static}.LoadUnsafe(ref {reference}, {Int(offset)})";

    public string Load(string reference, string offset) => IsScalar
        ? $"{Unsafe}.Add(ref {reference}, {offset})"
        : $"{Static}.LoadUnsafe(ref {reference}, (nuint)({offset}))";

    public string Broadcast(string scalar) => IsScalar ? scalar : $"{Static}.Create({scalar})";

    /// <summary><c>a * b + c</c> in one rounding on the vector paths.</summary>
    public string MultiplyAdd(string a, string b, string c) =>
        IsScalar ? $"{c} + ({a} * {b})"
        : !LegacyIntrinsics ? $"{Static}.FusedMultiplyAdd({a}, {b}, {c})"
        : Name == "Vector512" ? $"{Intrinsics}X86.Avx512F.FusedMultiplyAdd({a}, {b}, {c})"
        : $"{Intrinsics}X86.Fma.MultiplyAdd({a}, {b}, {c})";

    public string Max(string a, string b) => IsScalar ? $"global::System.Math.Max({a}, {b})" : $"{Static}.Max({a}, {b})";

    public string Store(string value, string reference, int offset) => IsScalar
        ? $"{Unsafe}.Add(ref {reference}, {Int(offset)}) = {value};"
        : $"{Static}.StoreUnsafe({value}, ref {reference}, {Int(offset)});";

    /// <summary>The sum of a vector's lanes.</summary>
    public string Sum(string value) => IsScalar ? value : $"{Static}.Sum({value})";

    public string Element(string value, int lane) => IsScalar ? value : $"{Static}.GetElement({value}, {Int(lane)})";

    /// <summary>A vector built lane by lane from <paramref name="lanes"/> scalars at a reference, the rest zero (a load that must not read past the end).</summary>
    public string PartialLoad(string reference, int offset, int lanes)
    {
        if (IsScalar)
        {
            return Load(reference, offset);
        }

        var parts = new string[Width];
        for (int i = 0; i < Width; i++)
        {
            parts[i] = i < lanes ? $"{Unsafe}.Add(ref {reference}, {Int(offset + i)})" : "0f";
        }

        return $"{Static}.Create({string.Join(", ", parts)})";
    }

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);
}
