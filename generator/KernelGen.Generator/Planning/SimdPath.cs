using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using KernelGen.Generator.Emit;

namespace KernelGen.Generator.Planning;

/// <summary>
/// One of the code paths every kernel has — Vector512, Vector256, Vector128 and scalar — and how its arithmetic is spelled. The paths
/// share one emitter; only these spellings and the register budget differ. Types are spelled with the file-local
/// aliases of <see cref="Aliases"/>.
/// </summary>
/// <param name="Name">The path's name, used in method names and comments.</param>
/// <param name="Bits">The vector width in bits (0 for scalar): which of <c>Vector512</c>, <c>Vector256</c>, <c>Vector128</c> it uses.</param>
/// <param name="Registers">
/// Vector registers a tile may keep live on the hardware that takes this path: 32 with AVX-512 and on ARM64, 16 with
/// AVX2; 15 of x64's 16 for Vector128, whose hardware (SSE without FMA) needs one more for each product.
/// </param>
/// <param name="Accumulators">How many accumulators a convolution tile aims for.</param>
/// <param name="LegacyIntrinsics">Spell FMA with the x86 intrinsics of .NET 8 instead of the portable .NET 9 API.</param>
internal sealed record SimdPath(string Name, int Bits, int Registers, int Accumulators, bool LegacyIntrinsics)
{
    /// <summary>The name of the helpers that multiply and add vectors (see <see cref="MultiplyAddHelper"/>).</summary>
    public const string MultiplyAddName = "Fma";

    /// <summary>
    /// The helper <c>Fma(a, b, c) = a × b + c</c> for this path's vectors, inlined into every use: the portable
    /// <c>FusedMultiplyAdd</c> (x86's on .NET 8, which has no portable Vector512 or Vector256 one); for Vector128, in one
    /// rounding where the hardware fuses it (x64 FMA3, ARM64 NEON) and in two where it does not (x64 with SSE only,
    /// where the portable <c>Vector128.FusedMultiplyAdd</c> would fall back to software, one element at a time). Every
    /// condition is a JIT-time constant.
    /// </summary>
    public string[] MultiplyAddHelper =>
    [
        Bits == 128
            ? "/// <summary><c>a × b + c</c>, in one rounding where the hardware fuses it (x64 FMA3, ARM64 NEON), else in two.</summary>"
            : "/// <summary><c>a × b + c</c> in one rounding.</summary>",
        "[KgMethodImpl(KgImpl.AggressiveInlining)]",
        $"private static {Type} {MultiplyAddName}({Type} a, {Type} b, {Type} c) =>",
        "    " + (Bits == 128 ? "KgFma.IsSupported ? KgFma.MultiplyAdd(a, b, c) : KgAdvSimd.IsSupported ? KgAdvSimd.FusedMultiplyAdd(c, a, b) : (a * b) + c;"
            : !LegacyIntrinsics ? $"{Static}.FusedMultiplyAdd(a, b, c);"
            : Bits == 512 ? "KgAvx512F.FusedMultiplyAdd(a, b, c);"
            : "KgFma.MultiplyAdd(a, b, c);"),
    ];

    /// <summary>The name of the helpers that sum four vectors' lanes into one 128-bit vector (see <see cref="SumOfFourHelpers"/>).</summary>
    public const string SumOfFourName = "Sum4";

    /// <summary><c>[Σa, Σb, Σc, Σd]</c> for four of this path's vectors: the lanes of four dot products reduced together.</summary>
    public static string SumOfFour(string a, string b, string c, string d) => $"{SumOfFourName}({a}, {b}, {c}, {d})";

    /// <summary>
    /// The helpers <c>Sum4(a, b, c, d) = [Σa, Σb, Σc, Σd]</c> for vectors of <paramref name="bits"/> and every narrower width
    /// they fall back on: halves added down to 256 bits, then pairs added twice (x64's <c>vhaddps</c>, ARM64's
    /// <c>faddp</c>) and the halves once more — 13 instructions for four Vector512 sums where four <c>Sum</c> calls take ~90.
    /// </summary>
    public static IEnumerable<string> SumOfFourHelpers(int bits)
    {
        string summary = "/// <summary><c>[Σa, Σb, Σc, Σd]</c>: the lanes of four vectors summed, each sum in its own lane.</summary>";
        const string inline = "[KgMethodImpl(KgImpl.AggressiveInlining)]";
        if (bits >= 512)
        {
            yield return "";
            yield return summary;
            yield return inline;
            yield return $"private static KgF128 {SumOfFourName}(KgF512 a, KgF512 b, KgF512 c, KgF512 d) =>";
            yield return $"    {SumOfFourName}(KgV512.GetLower(a) + KgV512.GetUpper(a), KgV512.GetLower(b) + KgV512.GetUpper(b), KgV512.GetLower(c) + KgV512.GetUpper(c), KgV512.GetLower(d) + KgV512.GetUpper(d));";
        }

        if (bits >= 256)
        {
            yield return "";
            yield return summary;
            yield return inline;
            yield return $"private static KgF128 {SumOfFourName}(KgF256 a, KgF256 b, KgF256 c, KgF256 d)";
            yield return "{";
            yield return "    if (KgAvx.IsSupported)";
            yield return "    {";
            yield return "        KgF256 pairs = KgAvx.HorizontalAdd(KgAvx.HorizontalAdd(a, b), KgAvx.HorizontalAdd(c, d));";
            yield return "        return KgV256.GetLower(pairs) + KgV256.GetUpper(pairs);";
            yield return "    }";
            yield return "";
            yield return $"    return {SumOfFourName}(KgV256.GetLower(a) + KgV256.GetUpper(a), KgV256.GetLower(b) + KgV256.GetUpper(b), KgV256.GetLower(c) + KgV256.GetUpper(c), KgV256.GetLower(d) + KgV256.GetUpper(d));";
            yield return "}";
        }

        yield return "";
        yield return summary;
        yield return inline;
        yield return $"private static KgF128 {SumOfFourName}(KgF128 a, KgF128 b, KgF128 c, KgF128 d) =>";
        yield return "    KgSse3.IsSupported ? KgSse3.HorizontalAdd(KgSse3.HorizontalAdd(a, b), KgSse3.HorizontalAdd(c, d))";
        yield return "    : KgAdvSimd.Arm64.IsSupported ? KgAdvSimd.Arm64.AddPairwise(KgAdvSimd.Arm64.AddPairwise(a, b), KgAdvSimd.Arm64.AddPairwise(c, d))";
        yield return "    : KgV128.Create(KgV128.Sum(a), KgV128.Sum(b), KgV128.Sum(c), KgV128.Sum(d));";
    }

    /// <summary>The paths of every kernel, widest first: the dispatch takes the first the hardware accelerates.</summary>
    public static ImmutableArray<SimdPath> All(bool legacyIntrinsics) => ImmutableArray.Create(
        new SimdPath("Vector512", 512, 32, 24, legacyIntrinsics),
        new SimdPath("Vector256", 256, 16, 12, legacyIntrinsics),
        new SimdPath("Vector128", 128, 15, 12, legacyIntrinsics),
        new SimdPath("Scalar", 0, 16, 8, legacyIntrinsics));

    /// <summary>
    /// <see cref="All"/> for kernels whose tiles depend on the register budget (convolutions): the Vector128 path planned
    /// for ARM64 NEON's 32 registers, the hardware that takes it (every x64 processor since 2013 takes Vector256). x64
    /// without AVX2 runs the same code in its 16 registers, spilling: correct, slower — and CI's Vector128 run tests
    /// the very code ARM64 runs.
    /// </summary>
    public static ImmutableArray<SimdPath> ForTiles(bool legacyIntrinsics) =>
        All(legacyIntrinsics).SetItem(2, new SimdPath("Vector128", 128, 32, 24, legacyIntrinsics));

    public bool IsScalar => Bits == 0;

    /// <summary>Floats per vector (1 for scalar).</summary>
    public int Width => IsScalar ? 1 : Bits / 32;

    /// <summary>The condition under which this path runs (the scalar path is the fallback).</summary>
    public string Condition => Name switch
    {
        "Vector512" when LegacyIntrinsics => "KgAvx512F.IsSupported",
        "Vector256" when LegacyIntrinsics => "KgFma.IsSupported",
        _ => $"{Static}.IsHardwareAccelerated",
    };

    /// <summary>The element type of this path's arithmetic.</summary>
    public string Type => IsScalar ? "float" : Int($"KgF{Bits}");

    /// <summary>The static class of this path's operations (<c>Vector256</c> and so on).</summary>
    public string Static => Int($"KgV{Bits}");

    /// <summary>A vector of ints as wide as this path's float vectors.</summary>
    public string IntType => Int($"KgI{Bits}");

    public string Zero => IsScalar ? "0f" : $"{Type}.Zero";

    public string Load(string reference, int offset) => IsScalar
        ? At(reference, offset)
        : offset == 0 ? $"{Static}.LoadUnsafe(ref {reference})" : $"{Static}.LoadUnsafe(ref {reference}, {Int(offset)})";

    public string Load(string reference, string offset) => int.TryParse(offset, NumberStyles.None, CultureInfo.InvariantCulture, out int literal)
        ? Load(reference, literal)
        : IsScalar ? $"KgUnsafe.Add(ref {reference}, {offset})"
        : $"{Static}.LoadUnsafe(ref {reference}, {Unsigned(offset)})";

    public string Store(string value, string reference, int offset) => IsScalar
        ? $"{At(reference, offset)} = {value};"
        : offset == 0 ? $"{Static}.StoreUnsafe({value}, ref {reference});" : $"{Static}.StoreUnsafe({value}, ref {reference}, {Int(offset)});";

    public string Store(string value, string reference, string offset) => int.TryParse(offset, NumberStyles.None, CultureInfo.InvariantCulture, out int literal)
        ? Store(value, reference, literal)
        : IsScalar ? $"KgUnsafe.Add(ref {reference}, {offset}) = {value};"
        : $"{Static}.StoreUnsafe({value}, ref {reference}, {Unsigned(offset)});";

    public string Broadcast(string scalar) => IsScalar ? scalar : $"{Static}.Create({scalar})";

    /// <summary><c>a * b + c</c>, in one rounding on the vector paths (see <see cref="MultiplyAddHelper"/>).</summary>
    public string MultiplyAdd(string a, string b, string c) => IsScalar ? $"{c} + ({a} * {b})" : $"{MultiplyAddName}({a}, {b}, {c})";

    public string Max(string a, string b) => IsScalar ? $"KgMath.Max({a}, {b})" : $"{Static}.Max({a}, {b})";

    /// <summary>
    /// The larger of <paramref name="a"/> and <paramref name="b"/> for a max pool or ReLU, NaN where either is NaN:
    /// on the vector paths the runtime's <c>SimdMath.MaxOrNaN</c>, three instructions on x64 where <see cref="Max"/>'s
    /// IEEE 754:2019 maximum takes nine (the same values but for a zero's sign where −0 and +0 tie and a NaN's payload).
    /// </summary>
    public string MaxOrNaN(string a, string b) => IsScalar ? $"KgMath.Max({a}, {b})" : $"KgSimd.MaxOrNaN({a}, {b})";

    /// <summary>The even lanes of two vectors, then the odd ones: the runtime's <c>SimdMath.Evens</c> and <c>Odds</c> (a shuffle on x64).</summary>
    public static (string Evens, string Odds) Split(string a, string b) => ($"KgSimd.Evens({a}, {b})", $"KgSimd.Odds({a}, {b})");

    /// <summary>
    /// The largest of a vector's lanes (a NaN lane makes it NaN), as statements that declare halving maxima down to
    /// 128 bits (<c>m256</c>, <c>m128</c>), and the expression over the last one's four lanes.
    /// </summary>
    public (string[] Statements, string Result) MaxAcross(string value)
    {
        if (IsScalar)
        {
            return ([], value);
        }

        var statements = new System.Collections.Generic.List<string>();
        string part = value;
        for (int bits = Bits; bits > 128; bits /= 2)
        {
            string half = Int($"m{bits / 2}");
            statements.Add(Int($"KgF{bits / 2} {half} = KgV{bits / 2}.Max(KgV{bits}.GetLower({part}), KgV{bits}.GetUpper({part}));"));
            part = half;
        }

        return ([.. statements],
            $"KgMathF.Max(KgMathF.Max(KgV128.GetElement({part}, 0), KgV128.GetElement({part}, 1)), KgMathF.Max(KgV128.GetElement({part}, 2), KgV128.GetElement({part}, 3)))");
    }

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
            parts[i] = i < lanes ? At(reference, offset + i) : "0f";
        }

        return $"{Static}.Create({string.Join(", ", parts)})";
    }

    /// <summary>
    /// Stores the first <paramref name="lanes"/> lanes of a vector, no more: halves as wide as fit stored whole
    /// (a Vector256 store for 8 of a Vector512's lanes, a Vector128 store for 4), the lanes after that one at a time.
    /// </summary>
    public System.Collections.Generic.IEnumerable<string> PartialStore(string value, string reference, int offset, int lanes)
    {
        int lane = 0;
        for (int bits = Bits / 2; bits >= 128; bits /= 2)
        {
            int floats = bits / 32;
            if (lanes - lane >= floats)
            {
                yield return Int($"KgV{bits}.StoreUnsafe({Part(value, lane, bits)}, ref {reference}, {offset + lane});");
                lane += floats;
            }
        }

        for (; lane < lanes; lane++)
        {
            yield return $"{At(reference, offset + lane)} = {Element(value, lane)};";
        }
    }

    /// <summary>The <paramref name="bits"/>-bit part of a vector that starts at lane <paramref name="lane"/>, by halving (<c>GetLower</c>, <c>GetUpper</c>).</summary>
    private string Part(string value, int lane, int bits)
    {
        string part = value;
        for (int width = Bits; width > bits; width /= 2)
        {
            int half = width / 64;
            part = lane < half ? Int($"KgV{width}.GetLower({part})") : Int($"KgV{width}.GetUpper({part})");
            lane %= half;
        }

        return part;
    }

    /// <summary>An <c>int</c> offset as the <c>nuint</c> the loads take: a plain name needs no parentheses.</summary>
    private static string Unsigned(string offset) =>
        System.Linq.Enumerable.All(offset, c => char.IsLetterOrDigit(c) || c == '_') ? $"(nuint){offset}" : $"(nuint)({offset})";

    /// <summary>A vector of this path's width with the given lanes, as C#.</summary>
    public string Constant(System.Func<int, string> lane)
    {
        var parts = new string[Width];
        for (int i = 0; i < Width; i++)
        {
            parts[i] = lane(i);
        }

        return $"{Static}.Create({string.Join(", ", parts)})";
    }

    /// <summary>The float <paramref name="offset"/> places after a reference, as C#: the reference itself at 0.</summary>
    private static string At(string reference, int offset) => offset == 0 ? reference : $"KgUnsafe.Add(ref {reference}, {Int(offset)})";

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Int(System.FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
