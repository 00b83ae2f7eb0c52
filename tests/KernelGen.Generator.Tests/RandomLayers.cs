using System.Collections.Generic;
using System.Globalization;
using System.Reflection;
using System.Text;
using CsCheck;
using KernelGen.Tests;

namespace KernelGen.Generator.Tests;

/// <summary>
/// A randomly drawn layer: the attribute that declares it, and how to run the reference for it. Each
/// case is compiled with a wrapper <c>Run{i}(float[] input, float[] weights, float[] bias, float[] output, int batch)</c>
/// so that the test can call the generated kernel by reflection.
/// </summary>
public abstract record LayerCase(bool Bias, bool Batched, int Batch, int Seed)
{
    public abstract string Attribute { get; }

    public abstract bool Weighted { get; }

    public abstract int InputLength { get; }

    public abstract int OutputLength { get; }

    public abstract int WeightLength { get; }

    public abstract int BiasLength { get; }

    /// <summary>Products or terms summed per output element: the tolerance grows with it.</summary>
    public abstract long ReductionLength { get; }

    public abstract void Reference(float[] input, float[] weights, float[] bias, float[] output);

    public int Samples => Batched ? Batch : 1;

    /// <summary>Whether the kernel has the overload that splits a call among threads (convolutions and pools).</summary>
    public virtual bool Splits => false;

    /// <summary>The declaration and its wrappers: <c>Run{i}</c>, and <c>RunThreads{i}(…, threads)</c> where the call <see cref="Splits"/>.</summary>
    public virtual string Declaration(int i)
    {
        string spans = Weighted
            ? $"ReadOnlySpan<float> input, ReadOnlySpan<float> weights, {(Bias ? "ReadOnlySpan<float> bias, " : "")}Span<float> output"
            : "ReadOnlySpan<float> input, Span<float> output";
        string arguments = (Weighted ? $"input, weights, {(Bias ? "bias, " : "")}output" : "input, output") + (Batched ? ", batch" : "");
        string declaration = $$"""
                {{Attribute}}
                private static partial void K{{i}}({{spans}}{{(Batched ? ", int batch" : "")}});
                public static void Run{{i}}(float[] input, float[] weights, float[] bias, float[] output, int batch) => K{{i}}({{arguments}});
            """;
        return Splits
            ? declaration + $$"""

                public static void RunThreads{{i}}(float[] input, float[] weights, float[] bias, float[] output, int batch, int threads) => K{{i}}({{arguments}}, new Parallelism(threads));
            """
            : declaration;
    }

    protected static string Props(params (string Name, object? Value)[] properties) =>
        string.Join(", ", properties.Where(p => p.Value is not null).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Name} = {Format(p.Value!)}")));

    private static string Format(object value) => value switch
    {
        bool b => b ? "true" : "false",
        Activation a => $"Activation.{a}",
        float f => f.ToString("R", CultureInfo.InvariantCulture) + "f",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture)!,
    };
}

public sealed record ConvCase(
    int Groups, int InPerGroup, int OutPerGroup, int Height, int Width, int KernelHeight, int KernelWidth,
    int StrideHeight, int StrideWidth, int DilationHeight, int DilationWidth, int PadTop, int PadBottom, int PadLeft, int PadRight,
    bool Same, bool Flip, Activation Activation, bool Bias, bool Batched, int Batch, int Seed, float? Slope = null, bool Winograd = false, bool PackedDirect = false, int WinogradTile = 4)
    : LayerCase(Bias, Batched, Batch, Seed)
{
    public Conv2DGeometry? Geometry
    {
        get
        {
            int c = Groups * InPerGroup, oc = Groups * OutPerGroup;
            (int top, int bottom) = Same ? ShapeMath.SamePadding(Height, KernelHeight, StrideHeight, DilationHeight) : (PadTop, PadBottom);
            (int left, int right) = Same ? ShapeMath.SamePadding(Width, KernelWidth, StrideWidth, DilationWidth) : (PadLeft, PadRight);
            return Conv2DGeometry.TryCreate(c, Height, Width, oc, KernelHeight, KernelWidth, StrideHeight, StrideWidth, top, bottom, left, right, DilationHeight, DilationWidth, Groups, out _);
        }
    }

    public override string Attribute => "[Conv2D(" + Props(
        ("InChannels", Groups * InPerGroup), ("Height", Height), ("Width", Width), ("OutChannels", Groups * OutPerGroup),
        ("Kernel", KernelHeight == KernelWidth ? KernelHeight : null), ("KernelHeight", KernelHeight != KernelWidth ? KernelHeight : null), ("KernelWidth", KernelHeight != KernelWidth ? KernelWidth : null),
        ("Stride", StrideHeight == StrideWidth ? StrideHeight : null), ("StrideHeight", StrideHeight != StrideWidth ? StrideHeight : null), ("StrideWidth", StrideHeight != StrideWidth ? StrideWidth : null),
        ("Dilation", DilationHeight == DilationWidth ? DilationHeight : null), ("DilationHeight", DilationHeight != DilationWidth ? DilationHeight : null), ("DilationWidth", DilationHeight != DilationWidth ? DilationWidth : null),
        ("SamePadding", Same ? true : null),
        ("PaddingHeight", Same || PadTop != PadBottom ? null : PadTop), ("PaddingWidth", Same || PadLeft != PadRight ? null : PadLeft),
        ("PaddingTop", Same || PadTop == PadBottom ? null : PadTop), ("PaddingBottom", Same || PadTop == PadBottom ? null : PadBottom),
        ("PaddingLeft", Same || PadLeft == PadRight ? null : PadLeft), ("PaddingRight", Same || PadLeft == PadRight ? null : PadRight),
        ("Groups", Groups), ("Activation", Activation), ("LeakyReluSlope", Slope), ("FlipKernel", Flip),
        ("Algorithm", Winograd ? (WinogradTile == 2 ? "ConvAlgorithm.Winograd2x2" : "ConvAlgorithm.Winograd") : PackedDirect ? "ConvAlgorithm.PackedDirect" : null)) + ")]";

    public override bool Weighted => true;

    public override int InputLength => Samples * Geometry!.InputLength;

    public override int OutputLength => Samples * Geometry!.OutputLength;

    public override int WeightLength => Geometry!.WeightLength;

    public override int BiasLength => Bias ? Groups * OutPerGroup : 0;

    public override long ReductionLength => (long)InPerGroup * KernelHeight * KernelWidth;

    public override void Reference(float[] input, float[] weights, float[] bias, float[] output) =>
        KernelGen.Reference.Conv2D<float>(Geometry!, input, weights, bias, output, Samples, Activation, Flip, Slope ?? ActivationFunctions.DefaultLeakyReluSlope);

    public override bool Splits => true;

    /// <summary>With <see cref="Winograd"/> or <see cref="PackedDirect"/>, also <c>Pack{i}</c> and <c>RunPacked{i}</c>, as for a dense layer's packed overload.</summary>
    public override string Declaration(int i) => !Winograd && !PackedDirect ? base.Declaration(i) : base.Declaration(i) + $$"""

                public static float[] Pack{{i}}(float[] weights) => K{{i}}PackWeights(weights).Values.ToArray();
                public static void RunPacked{{i}}(float[] input, float[] weights, float[] bias, float[] output, int batch) => K{{i}}(input, K{{i}}PackWeights(weights), {{(Bias ? "bias, " : "")}}output{{(Batched ? ", batch" : "")}});
                public static void RunPackedThreads{{i}}(float[] input, float[] weights, float[] bias, float[] output, int batch, int threads) => K{{i}}(input, K{{i}}PackWeights(weights), {{(Bias ? "bias, " : "")}}output{{(Batched ? ", batch" : "")}}, new Parallelism(threads));
            """;
}

public sealed record PoolCase(
    bool Max, int Channels, int Height, int Width, int KernelHeight, int KernelWidth, int? StrideHeight, int? StrideWidth,
    int PadTop, int PadBottom, int PadLeft, int PadRight, bool Same, bool CountIncludePad, bool Batched, int Batch, int Seed, bool Ceil = false,
    int DilationHeight = 1, int DilationWidth = 1)
    : LayerCase(false, Batched, Batch, Seed)
{
    public Pool2DGeometry? Geometry
    {
        get
        {
            int sh = StrideHeight ?? KernelHeight, sw = StrideWidth ?? KernelWidth;
            (int top, int bottom) = Same ? ShapeMath.SamePadding(Height, KernelHeight, sh, DilationHeight) : (PadTop, PadBottom);
            (int left, int right) = Same ? ShapeMath.SamePadding(Width, KernelWidth, sw, DilationWidth) : (PadLeft, PadRight);
            return Pool2DGeometry.TryCreate(Channels, Height, Width, KernelHeight, KernelWidth, sh, sw, top, bottom, left, right, Ceil, DilationHeight, DilationWidth, out _);
        }
    }

    public override string Attribute => $"[{(Max ? "MaxPool2D" : "AvgPool2D")}(" + Props(
        ("Channels", Channels), ("Height", Height), ("Width", Width), ("KernelHeight", KernelHeight), ("KernelWidth", KernelWidth),
        ("StrideHeight", StrideHeight), ("StrideWidth", StrideWidth), ("SamePadding", Same ? true : null), ("CeilMode", Ceil ? true : null),
        ("PaddingHeight", Same || PadTop != PadBottom ? null : PadTop), ("PaddingWidth", Same || PadLeft != PadRight ? null : PadLeft),
        ("PaddingTop", Same || PadTop == PadBottom ? null : PadTop), ("PaddingBottom", Same || PadTop == PadBottom ? null : PadBottom),
        ("PaddingLeft", Same || PadLeft == PadRight ? null : PadLeft), ("PaddingRight", Same || PadLeft == PadRight ? null : PadRight),
        ("CountIncludePad", !Max && CountIncludePad ? true : null),
        ("DilationHeight", DilationHeight > 1 ? DilationHeight : null), ("DilationWidth", DilationWidth > 1 ? DilationWidth : null)) + ")]";

    public override bool Weighted => false;

    public override int InputLength => Samples * Geometry!.InputLength;

    public override int OutputLength => Samples * Geometry!.OutputLength;

    public override int WeightLength => 0;

    public override int BiasLength => 0;

    public override long ReductionLength => Max ? 0 : (long)KernelHeight * KernelWidth;

    public override void Reference(float[] input, float[] weights, float[] bias, float[] output)
    {
        if (Max)
        {
            KernelGen.Reference.MaxPool2D<float>(Geometry!, input, output, Samples);
        }
        else
        {
            KernelGen.Reference.AvgPool2D<float>(Geometry!, input, output, Samples, CountIncludePad);
        }
    }

    public override bool Splits => true;
}

public sealed record DenseCase(int InFeatures, int OutFeatures, Activation Activation, bool Bias, bool Batched, int Batch, int Seed, float? Slope = null)
    : LayerCase(Bias, Batched, Batch, Seed)
{
    public override string Attribute => "[Dense(" + Props(("InFeatures", InFeatures), ("OutFeatures", OutFeatures), ("Activation", Activation), ("LeakyReluSlope", Slope)) + ")]";

    public override bool Weighted => true;

    public override int InputLength => Samples * InFeatures;

    public override int OutputLength => Samples * OutFeatures;

    public override int WeightLength => InFeatures * OutFeatures;

    public override int BiasLength => Bias ? OutFeatures : 0;

    public override long ReductionLength => InFeatures;

    public override void Reference(float[] input, float[] weights, float[] bias, float[] output) =>
        KernelGen.Reference.Dense<float>(new DenseGeometry(InFeatures, OutFeatures), input, weights, bias, output, Samples, Activation, Slope ?? ActivationFunctions.DefaultLeakyReluSlope);

    /// <summary>
    /// Also the packed overload: <c>Pack{i}(weights)</c> returns the packed floats (for the packed paths, called directly),
    /// <c>RunPacked{i}</c> packs and calls the overload through its dispatch.
    /// </summary>
    public override string Declaration(int i)
    {
        string arguments = $"input, K{i}PackWeights(weights), {(Bias ? "bias, " : "")}output{(Batched ? ", batch" : "")}";
        return base.Declaration(i) + $$"""

                public static float[] Pack{{i}}(float[] weights) => K{{i}}PackWeights(weights).Values.ToArray();
                public static void RunPacked{{i}}(float[] input, float[] weights, float[] bias, float[] output, int batch) => K{{i}}({{arguments}});
            """;
    }
}

public sealed record GlobalPoolCase(int Channels, int Height, int Width, bool Batched, int Batch, int Seed, bool Max = false)
    : LayerCase(false, Batched, Batch, Seed)
{
    public override string Attribute => $"[{(Max ? "GlobalMaxPool2D" : "GlobalAvgPool2D")}(" + Props(("Channels", Channels), ("Height", Height), ("Width", Width)) + ")]";

    public override bool Weighted => false;

    public override int InputLength => Samples * Channels * Height * Width;

    public override int OutputLength => Samples * Channels;

    public override int WeightLength => 0;

    public override int BiasLength => 0;

    public override long ReductionLength => Max ? 0 : (long)Height * Width;

    public override void Reference(float[] input, float[] weights, float[] bias, float[] output)
    {
        if (Max)
        {
            KernelGen.Reference.GlobalMaxPool2D<float>(Channels, Height, Width, input, output, Samples);
        }
        else
        {
            KernelGen.Reference.GlobalAvgPool2D<float>(Channels, Height, Width, input, output, Samples);
        }
    }
}

/// <summary>An <c>[Add]</c>: the case's input is <c>a</c> and its weights <c>b</c>, both <c>batch</c> samples long.</summary>
public sealed record AddCase(int Channels, int Height, int Width, Activation Activation, bool Batched, int Batch, int Seed, float? Slope = null)
    : LayerCase(false, Batched, Batch, Seed)
{
    public override string Attribute => "[Add(" + Props(("Channels", Channels), ("Height", Height), ("Width", Width), ("Activation", Activation), ("LeakyReluSlope", Slope)) + ")]";

    public override bool Weighted => true;

    public override int InputLength => Samples * Channels * Height * Width;

    public override int OutputLength => InputLength;

    public override int WeightLength => InputLength;

    public override int BiasLength => 0;

    public override long ReductionLength => 2;

    public override void Reference(float[] input, float[] weights, float[] bias, float[] output) =>
        KernelGen.Reference.Add<float>(input, weights, output, Activation, Slope ?? ActivationFunctions.DefaultLeakyReluSlope);
}

/// <summary>The generators of random layers, over every option of the contract.</summary>
public static class RandomLayers
{
    /// <summary>Any activation; LeakyRelu with its default slope (unset), a gentler or steeper one, zero or a negative one.</summary>
    public static readonly Gen<(Activation Activation, float? Slope)> Activations =
        from activation in Gen.Enum<Activation>()
        from slope in activation == Activation.LeakyRelu ? Gen.Int[0, 4].Select(i => new float?[] { null, 0.2f, 0f, -0.5f, 1.5f }[i]) : Gen.Const(default(float?))
        select (activation, slope);

    private static readonly Gen<(bool Batched, int Batch, int Seed)> Batching =
        from batched in Gen.Bool
        from batch in Gen.Int[1, 3]
        from seed in Gen.Int
        select (batched, batch, seed);

    /// <summary>
    /// Batches up to 13, so a dense layer's tiles (3 or 4 samples; packed, 8, 6 or 2, then 4, 2 and an odd last one) run
    /// whole, more than once, and with samples left over.
    /// </summary>
    private static readonly Gen<(bool Batched, int Batch, int Seed)> DenseBatching =
        from batched in Gen.Bool
        from batch in Gen.Int[1, 13]
        from seed in Gen.Int
        select (batched, batch, seed);

    public static readonly Gen<LayerCase> Conv =
        (from groups in Gen.Int[1, 3]
         from inPerGroup in Gen.Int[1, 4]
         from outPerGroup in Gen.OneOf(Gen.Int[1, 4], Gen.Int[5, 20])
         from height in Gen.Int[1, 12]
         from width in Gen.OneOf(Gen.Int[1, 12], Gen.Int[13, 40])
         from kernel in Gen.Int[1, 5].Array[2]
         from stride in Gen.Int[1, 3].Array[2]
         from dilation in Gen.OneOf(Gen.Const(1), Gen.Int[1, 3]).Array[2]
         from pad in Gen.Int[0, 3].Array[2]
         from asymmetric in Gen.Frequency((1, Gen.Const((int[]?)null)), (1, Gen.Int[0, 3].Array[2].Select(p => (int[]?)p)))
         from same in Gen.Frequency((3, Gen.Const(false)), (1, Gen.Const(true)))
         from flip in Gen.Bool
         from activation in Activations
         from bias in Gen.Bool
         from b in Batching
         select new ConvCase(groups, inPerGroup, outPerGroup, height, width, kernel[0], kernel[1], stride[0], stride[1],
             dilation[0], dilation[1], pad[0], asymmetric?[0] ?? pad[0], pad[1], asymmetric?[1] ?? pad[1], same, flip, activation.Activation, bias,
             b.Batched, b.Batch, b.Seed, activation.Slope))
        .Where(c => c.Geometry is not null)
        .Select(c => (LayerCase)c);

    /// <summary>
    /// 3×3, stride-1 convolutions that ask for Winograd F(4×4, 3×3) or F(2×2, 3×3): planes from 1 to 30 pixels (one partial
    /// tile, many, every remainder of 4 and 2), up to 20 input and 30 output channels (F(2×2)'s chunks of output channels
    /// whole and padded), any padding up to 2 on each side.
    /// </summary>
    public static readonly Gen<LayerCase> Winograd =
        (from inChannels in Gen.OneOf(Gen.Int[1, 4], Gen.Int[5, 20])
         from outChannels in Gen.OneOf(Gen.Int[1, 4], Gen.Int[5, 30])
         from height in Gen.Int[1, 30]
         from width in Gen.Int[1, 30]
         from pad in Gen.Int[0, 2].Array[4]
         from flip in Gen.Bool
         from activation in Activations
         from bias in Gen.Bool
         from b in Batching
         from tile in Gen.OneOf(Gen.Const(4), Gen.Const(2))
         select new ConvCase(1, inChannels, outChannels, height, width, 3, 3, 1, 1, 1, 1, pad[0], pad[1], pad[2], pad[3], false, flip,
             activation.Activation, bias, b.Batched, b.Batch, b.Seed, activation.Slope, Winograd: true, WinogradTile: tile))
        .Where(c => c.Geometry is not null)
        .Select(c => (LayerCase)c);

    /// <summary>
    /// Ungrouped convolutions that ask for the packed direct form: 1 to 70 output channels (tiles of every path whole,
    /// with a remainder, or one partial), any kernel up to 5×5, stride up to 3, dilation up to 2, padding up to 3 on
    /// each side, rows of 1 to 30 pixels (whole tiles and a tail).
    /// </summary>
    public static readonly Gen<LayerCase> PackedDirect =
        (from inChannels in Gen.OneOf(Gen.Int[1, 4], Gen.Int[5, 24])
         from outChannels in Gen.OneOf(Gen.Int[1, 16], Gen.Int[17, 70])
         from height in Gen.Int[1, 12]
         from width in Gen.OneOf(Gen.Int[1, 12], Gen.Int[13, 30])
         from kernel in Gen.Int[1, 5].Array[2]
         from stride in Gen.Int[1, 3].Array[2]
         from dilation in Gen.OneOf(Gen.Const(1), Gen.Int[1, 2]).Array[2]
         from pad in Gen.Int[0, 3].Array[4]
         from flip in Gen.Bool
         from activation in Activations
         from bias in Gen.Bool
         from b in Batching
         select new ConvCase(1, inChannels, outChannels, height, width, kernel[0], kernel[1], stride[0], stride[1], dilation[0], dilation[1],
             pad[0], pad[1], pad[2], pad[3], false, flip, activation.Activation, bias, b.Batched, b.Batch, b.Seed, activation.Slope, PackedDirect: true))
        .Where(c => c.Geometry is not null)
        .Select(c => (LayerCase)c);

    /// <summary>
    /// 1×1 packed direct layers without padding, which Vector256 computes as a matrix product in panels of 16 output pixels
    /// where they waste at most an eighth: 1 to 40 input channels, 1 to 70 output channels (fewer than a tile of 6 too),
    /// stride 1 to 3, 1 to 30 pixels a side (fewer pixels than a panel too, and panels across rows).
    /// </summary>
    public static readonly Gen<LayerCase> PackedPointwise =
        (from inChannels in Gen.Int[1, 40]
         from outChannels in Gen.OneOf(Gen.Int[1, 8], Gen.Int[9, 70])
         from height in Gen.Int[1, 30]
         from width in Gen.Int[1, 30]
         from stride in Gen.Int[1, 3].Array[2]
         from activation in Activations
         from bias in Gen.Bool
         from b in Batching
         select new ConvCase(1, inChannels, outChannels, height, width, 1, 1, stride[0], stride[1], 1, 1,
             0, 0, 0, 0, false, false, activation.Activation, bias, b.Batched, b.Batch, b.Seed, activation.Slope, PackedDirect: true))
        .Where(c => c.Geometry is not null)
        .Select(c => (LayerCase)c);

    private static readonly Gen<LayerCase> AnyPool =
        (from max in Gen.Bool
         from channels in Gen.Int[1, 3]
         from height in Gen.Int[1, 14]
         from width in Gen.OneOf(Gen.Int[1, 14], Gen.Int[15, 40])
         from kernel in Gen.Int[1, 4].Array[2]
         from stride in Gen.OneOf(Gen.Const((int?)null), Gen.Int[1, 3].Select(s => (int?)s)).Array[2]
         from pad in Gen.Int[0, 5].Array[4]
         from asymmetric in Gen.Bool
         from same in Gen.Frequency((4, Gen.Const(false)), (1, Gen.Const(true)))
         from countIncludePad in Gen.Bool
         from ceil in Gen.Frequency((2, Gen.Const(false)), (1, Gen.Const(true)))
         from dilation in Gen.Frequency((3, Gen.Const(1)), (1, Gen.Int[2, 3])).Array[2]
         from wide in Gen.Frequency((4, Gen.Const(false)), (1, Gen.Const(true)))
         from b in Batching
         let dh = max ? dilation[0] : 1
         let dw = max ? dilation[1] : 1
         let limitHeight = wide ? (kernel[0] * dh) + 1 : ((kernel[0] - 1) * dh)
         let limitWidth = wide ? (kernel[1] * dw) + 1 : ((kernel[1] - 1) * dw)
         let top = Math.Min(pad[0], limitHeight)
         let left = Math.Min(pad[1], limitWidth)
         select new PoolCase(max, channels, height, width, kernel[0], kernel[1], stride[0], stride[1],
             top, asymmetric ? Math.Min(pad[2], limitHeight) : top, left, asymmetric ? Math.Min(pad[3], limitWidth) : left,
             same, countIncludePad, b.Batched, b.Batch, b.Seed, ceil && !same, dh, dw))
        .Where(c => c.Geometry is not null)
        .Select(c => (LayerCase)c);

    /// <summary>
    /// Any pool, and one in five a 2×2 window at stride 2 that tiles an even plane exactly (the pair pass): rows from 2
    /// to 40 columns, so that each path's vectors, narrower ones and scalars all take a turn, with the last step moved back.
    /// </summary>
    public static readonly Gen<LayerCase> Pool = Gen.Frequency(
        (4, AnyPool),
        (1, from max in Gen.Bool
            from channels in Gen.Int[1, 3]
            from height in Gen.Int[1, 7]
            from width in Gen.Int[1, 20]
            from ceil in Gen.Bool
            from b in Batching
            select (LayerCase)new PoolCase(max, channels, 2 * height, 2 * width, 2, 2, null, 2, 0, 0, 0, 0, false, false, b.Batched, b.Batch, b.Seed, ceil)));

    public static readonly Gen<LayerCase> DenseOrGlobal = Gen.OneOf(
        from inFeatures in Gen.OneOf(Gen.Int[1, 20], Gen.Int[21, 300])
        from outFeatures in Gen.OneOf(Gen.Int[1, 30], Gen.Int[31, 160])
        from activation in Activations
        from bias in Gen.Bool
        from b in DenseBatching
        select (LayerCase)new DenseCase(inFeatures, outFeatures, activation.Activation, bias, b.Batched, b.Batch, b.Seed, activation.Slope),
        from channels in Gen.Int[1, 6]
        from height in Gen.Int[1, 12]
        from width in Gen.OneOf(Gen.Int[1, 12], Gen.Int[13, 30])
        from max in Gen.Bool
        from b in Batching
        select (LayerCase)new GlobalPoolCase(channels, height, width, b.Batched, b.Batch, b.Seed, max),
        from channels in Gen.Int[1, 6]
        from height in Gen.Int[1, 12]
        from width in Gen.OneOf(Gen.Int[1, 12], Gen.Int[13, 40])
        from activation in Activations
        from b in Batching
        select (LayerCase)new AddCase(channels, height, width, activation.Activation, b.Batched, b.Batch, b.Seed, activation.Slope));

    /// <summary>
    /// Compiles every case into one assembly, runs each generated kernel and the reference on the same
    /// data, and returns the largest error relative to its tolerance. Throws with the case on a mismatch.
    /// </summary>
    public static double CheckAll(IReadOnlyList<LayerCase> cases) => CheckAll(cases, Data);

    /// <summary><see cref="CheckAll(IReadOnlyList{LayerCase})"/> with inputs from <paramref name="inputs"/> (seed, count); weights and biases as ever.</summary>
    public static double CheckAll(IReadOnlyList<LayerCase> cases, Func<int, int, float[]> inputs)
    {
        Assembly assembly = Harness.CompileAndLoad(Source(cases));
        Type kernels = assembly.GetType("Random.Kernels")!;
        double worst = 0;
        for (int i = 0; i < cases.Count; i++)
        {
            LayerCase c = cases[i];
            float[] input = inputs(c.Seed, c.InputLength), weights = Data(c.Seed + 1, c.WeightLength), bias = Data(c.Seed + 2, c.BiasLength);
            var expected = new float[c.OutputLength];
            var actual = new float[c.OutputLength];
            Array.Fill(actual, float.NaN);
            c.Reference(input, weights, bias, expected);
            double tolerance = Tolerance(c);

            // The public method, on whichever path this machine takes ...
            kernels.GetMethod($"Run{i}")!.Invoke(null, [input, weights, bias, actual, c.Batch]);
            worst = Math.Max(worst, Compare(c, "dispatch", expected, actual, tolerance));

            // ... and every path directly, whatever the hardware (Vector512 is emulated where it is not accelerated, and so is NEON's Vector128 path on x64).
            foreach (string path in KernelPaths.Of(assembly, $"KernelsK{i}Kernel"))
            {
                Array.Fill(actual, float.NaN);
                KernelPaths.Run(assembly, $"KernelsK{i}Kernel", path, c.Weighted, c.Bias, input, weights, bias, actual, c.Samples);
                worst = Math.Max(worst, Compare(c, path, expected, actual, tolerance));
            }

            // A convolution or pool split among threads gives the same bits as one thread, and so does each path run part by part.
            if (c.Splits)
            {
                CheckParts(assembly, kernels, i, c, input, weights, bias, actual);
            }

            // A Winograd overload: through its dispatch, then each path directly, every output within the stated bound.
            if (c is ConvCase { Winograd: true } conv)
            {
                worst = Math.Max(worst, CheckWinograd(assembly, kernels, i, conv, input, weights, bias, expected, actual));
            }

            // A packed direct overload: the same products as the plain one, so the same tolerance, through its dispatch and on every path.
            if (c is ConvCase { PackedDirect: true } direct)
            {
                worst = Math.Max(worst, CheckPackedDirect(assembly, kernels, i, direct, input, weights, bias, expected, actual, tolerance));
            }

            // A dense layer's packed overload, the same way: through its dispatch, then each packed path directly.
            if (c is DenseCase)
            {
                Array.Fill(actual, float.NaN);
                kernels.GetMethod($"RunPacked{i}")!.Invoke(null, [input, weights, bias, actual, c.Batch]);
                worst = Math.Max(worst, Compare(c, "packed dispatch", expected, actual, tolerance));
                float[] packed = (float[])kernels.GetMethod($"Pack{i}")!.Invoke(null, [weights])!;
                foreach (string path in KernelPaths.Of(assembly, $"KernelsK{i}Kernel"))
                {
                    Array.Fill(actual, float.NaN);
                    KernelPaths.Run(assembly, $"KernelsK{i}Kernel", path + "Packed", c.Weighted, c.Bias, input, packed, bias, actual, c.Samples);
                    worst = Math.Max(worst, Compare(c, path + " packed", expected, actual, tolerance));
                }
            }
        }

        return worst;
    }

    /// <summary>The Winograd overload of <c>K{i}</c> against <paramref name="expected"/>, within <see cref="WinogradBound"/>: the largest error over its bound.</summary>
    private static double CheckWinograd(Assembly assembly, Type kernels, int i, ConvCase c, float[] input, float[] weights, float[] bias, float[] expected, float[] actual)
    {
        Conv2DGeometry g = c.Geometry!;
        double[] magnitudes = WinogradBound.Magnitudes(g, input, weights, bias, c.Flip, c.Samples, c.WinogradTile);
        double slope = WinogradBound.Slope(c.Activation, c.Slope ?? ActivationFunctions.DefaultLeakyReluSlope);
        string what = $"{c.Attribute} (batch {c.Samples}, bias {c.Bias})";
        Array.Fill(actual, float.NaN);
        kernels.GetMethod($"RunPacked{i}")!.Invoke(null, [input, weights, bias, actual, c.Batch]);
        double worst = WinogradBound.Worst(what + ", Winograd dispatch", expected, actual, magnitudes, g.InChannels, slope);
        float[] packed = (float[])kernels.GetMethod($"Pack{i}")!.Invoke(null, [weights])!;
        string[] paths = KernelPaths.WithSuffix(assembly, $"KernelsK{i}Kernel", "Winograd");
        Assert.Equal(["Vector512Winograd", "Vector256Winograd", "Vector128Winograd", "ScalarWinograd"], paths);
        foreach (string path in paths)
        {
            Array.Fill(actual, float.NaN);
            KernelPaths.Run(assembly, $"KernelsK{i}Kernel", path, c.Weighted, c.Bias, input, packed, bias, actual, c.Samples);
            worst = Math.Max(worst, WinogradBound.Worst($"{what}, {path}", expected, actual, magnitudes, g.InChannels, slope));
        }

        CheckPackedParts(assembly, kernels, i, c, input, weights, bias, actual, packed, paths, "Winograd");
        return worst;
    }

    /// <summary>The packed direct overload of <c>K{i}</c> against <paramref name="expected"/> within <paramref name="tolerance"/>, through its dispatch and on every path: the largest error's share of it.</summary>
    private static double CheckPackedDirect(Assembly assembly, Type kernels, int i, ConvCase c, float[] input, float[] weights, float[] bias, float[] expected, float[] actual, double tolerance)
    {
        Array.Fill(actual, float.NaN);
        kernels.GetMethod($"RunPacked{i}")!.Invoke(null, [input, weights, bias, actual, c.Batch]);
        double worst = Compare(c, "packed direct dispatch", expected, actual, tolerance);
        float[] packed = (float[])kernels.GetMethod($"Pack{i}")!.Invoke(null, [weights])!;
        string[] paths = KernelPaths.WithSuffix(assembly, $"KernelsK{i}Kernel", "PackedDirect");
        Assert.Equal(["Vector512PackedDirect", "Vector256PackedDirect", "Vector128PackedDirect", "ScalarPackedDirect"], paths);
        foreach (string path in paths)
        {
            Array.Fill(actual, float.NaN);
            KernelPaths.Run(assembly, $"KernelsK{i}Kernel", path, c.Weighted, c.Bias, input, packed, bias, actual, c.Samples);
            worst = Math.Max(worst, Compare(c, path, expected, actual, tolerance));
        }

        CheckPackedParts(assembly, kernels, i, c, input, weights, bias, actual, packed, paths, "packed direct");
        return worst;
    }

    /// <summary>
    /// A packed overload split among 2 and 3 threads, and each of its <paramref name="paths"/> in three uneven parts of its
    /// units: the same bits as one call.
    /// </summary>
    private static void CheckPackedParts(Assembly assembly, Type kernels, int i, ConvCase c, float[] input, float[] weights, float[] bias, float[] actual, float[] packed, string[] paths, string what)
    {
        // Split among threads, and each path in three uneven parts of its output channels: the same bits as one call.
        var whole = new float[c.OutputLength];
        kernels.GetMethod($"RunPacked{i}")!.Invoke(null, [input, weights, bias, whole, c.Batch]);
        foreach (int threads in new[] { 2, 3 })
        {
            Array.Fill(actual, float.NaN);
            kernels.GetMethod($"RunPackedThreads{i}")!.Invoke(null, [input, weights, bias, actual, c.Batch, threads]);
            AssertSameBits(c, $"{what} on {threads} threads", whole, actual);
        }

        int units = KernelPaths.Units(assembly, $"KernelsK{i}Kernel", paths[0]);
        int first = units / 3, second = Math.Max(first, units - 1);
        foreach (string path in paths)
        {
            var one = new float[c.OutputLength];
            KernelPaths.Run(assembly, $"KernelsK{i}Kernel", path, c.Weighted, c.Bias, input, packed, bias, one, c.Samples);
            Array.Fill(actual, float.NaN);
            foreach ((int from, int to) in new[] { (0, first), (first, second), (second, units) })
            {
                KernelPaths.RunPart(assembly, $"KernelsK{i}Kernel", path, c.Weighted, c.Bias, input, packed, bias, actual, c.Samples, from, to);
            }

            AssertSameBits(c, $"{path} in parts 0..{first - 1}, {first}..{second - 1}, {second}..{units - 1}", one, actual);
        }
    }

    /// <summary>
    /// The convolution or pool <c>K{i}</c> split among 2 and 3 threads (by samples or by units) and each path run over its units in three
    /// uneven parts, against the output of one whole call, in <paramref name="scratch"/>: every bit the same (an empty part,
    /// from a layer of fewer than three units, must write nothing).
    /// </summary>
    private static void CheckParts(Assembly assembly, Type kernels, int i, LayerCase c, float[] input, float[] weights, float[] bias, float[] scratch)
    {
        var whole = new float[c.OutputLength];
        kernels.GetMethod($"Run{i}")!.Invoke(null, [input, weights, bias, whole, c.Batch]);
        foreach (int threads in new[] { 2, 3 })
        {
            Array.Fill(scratch, float.NaN);
            kernels.GetMethod($"RunThreads{i}")!.Invoke(null, [input, weights, bias, scratch, c.Batch, threads]);
            AssertSameBits(c, $"{threads} threads", whole, scratch);
        }

        string kernel = $"KernelsK{i}Kernel";
        int units = KernelPaths.Units(assembly, kernel);
        int first = units / 3, second = Math.Max(first, units - 1);
        foreach (string path in KernelPaths.Of(assembly, kernel))
        {
            var expected = new float[c.OutputLength];
            KernelPaths.Run(assembly, kernel, path, c.Weighted, c.Bias, input, weights, bias, expected, c.Samples);
            Array.Fill(scratch, float.NaN);
            foreach ((int from, int to) in new[] { (0, first), (first, second), (second, units) })
            {
                KernelPaths.RunPart(assembly, kernel, path, c.Weighted, c.Bias, input, weights, bias, scratch, c.Samples, from, to);
            }

            AssertSameBits(c, $"{path} in parts 0..{first - 1}, {first}..{second - 1}, {second}..{units - 1}", expected, scratch);
        }
    }

    private static void AssertSameBits(LayerCase c, string what, float[] expected, float[] actual)
    {
        for (int k = 0; k < expected.Length; k++)
        {
            if (BitConverter.SingleToInt32Bits(expected[k]) != BitConverter.SingleToInt32Bits(actual[k]))
            {
                Assert.Fail($"{c.Attribute}, {what}: element {k} is {actual[k]:R}, one whole call gave {expected[k]:R}");
            }
        }
    }

    /// <summary>The source that declares the cases as methods <c>K{i}</c> of <c>Random.Kernels</c>, with their wrappers.</summary>
    public static string Source(IReadOnlyList<LayerCase> cases)
    {
        var source = new StringBuilder("using System;\nusing KernelGen;\n\nnamespace Random;\n\npublic static partial class Kernels\n{\n");
        for (int i = 0; i < cases.Count; i++)
        {
            source.AppendLine(cases[i].Declaration(i));
        }

        return source.AppendLine("}").ToString();
    }

    /// <summary>The tolerance of a case: its reduction length times float's relative precision.</summary>
    internal static double Tolerance(LayerCase c) => Math.Max(c.ReductionLength, 1) * Math.Pow(2, -23);

    /// <summary>Asserts that <paramref name="actual"/> matches within <paramref name="tolerance"/>, naming the case and <paramref name="path"/>; returns the error's share of the tolerance.</summary>
    internal static double Compare(LayerCase c, string path, float[] expected, float[] actual, double tolerance)
    {
        TensorComparison comparison = TensorComparison.Of(expected, actual, [c.OutputLength], tolerance, tolerance);
        Assert.True(comparison.Matches, $"{c.Attribute} (batch {c.Samples}, bias {c.Bias}), {path}: {comparison}");
        return comparison.MaxErrorToTolerance;
    }

    /// <summary><see cref="Data"/> with about one value in 40 replaced by NaN, +∞ or −∞.</summary>
    internal static float[] SpecialData(int seed, int count)
    {
        float[] data = Data(seed, count);
        var random = new Random(~seed);
        for (int i = 0; i < count; i++)
        {
            if (random.Next(40) == 0)
            {
                data[i] = new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity }[random.Next(3)];
            }
        }

        return data;
    }

    internal static float[] Data(int seed, int count)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2) - 1))];
    }
}
