using System;
using System.Collections.Generic;
using System.Threading;
using KernelGen.Generator.Diagnostics;
using KernelGen.Generator.Model;
using KernelGen.Generator.Planning;
using Microsoft.CodeAnalysis;

namespace KernelGen.Generator.Parsing;

/// <summary>Reads a <c>[Conv2D]</c> method into a <see cref="ConvSpec"/>, or the diagnostics that say why it cannot be.</summary>
internal static class Conv2DParser
{
    public const string AttributeName = "KernelGen.Conv2DAttribute";

    public static ParseResult<ConvSpec> Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken) =>
        LayerParse.Run(context, AttributeName, SignatureKind.Weighted, "Conv2D", Read, cancellationToken);

    /// <summary>Reads the attribute's properties into a spec for <paramref name="method"/>; null when any is wrong (reported to the attribute's diagnostics).</summary>
    internal static ConvSpec? Read(LayerAttribute a, MethodTarget? method)
    {
        List<DiagnosticInfo> diagnostics = a.Diagnostics;
        int? inChannels = a.Required("InChannels"), height = a.Required("Height"), width = a.Required("Width"), outChannels = a.Required("OutChannels");
        int? kernelHeight = a.Kernel("KernelHeight"), kernelWidth = a.Kernel("KernelWidth");
        int? strideHeight = a.PerAxis("Stride", "StrideHeight", 1), strideWidth = a.PerAxis("Stride", "StrideWidth", 1);
        int? dilationHeight = a.PerAxis("Dilation", "DilationHeight", 1), dilationWidth = a.PerAxis("Dilation", "DilationWidth", 1);
        int? groups = a.Optional("Groups", 1);
        ActivationSpec? activation = a.Activation();
        bool same = a.Bool("SamePadding");
        int algorithm = a.Int("Algorithm") ?? 0;
        if (algorithm is < 0 or > (int)ConvAlgorithmChoice.Winograd2x2)
        {
            a.Report(Descriptors.InvalidValue, FormattableString.Invariant($"[Conv2D] Algorithm = {algorithm} is not a defined ConvAlgorithm: use Auto, Direct, Winograd, PackedDirect or Winograd2x2."));
        }

        (int? padTop, int? padBottom, int? padLeft, int? padRight) = a.Paddings(same);

        if (method is null || diagnostics.Count > 0 || inChannels is not { } c || height is not { } h || width is not { } w || outChannels is not { } oc
            || kernelHeight is not { } kh || kernelWidth is not { } kw || strideHeight is not { } sh || strideWidth is not { } sw
            || dilationHeight is not { } dh || dilationWidth is not { } dw || groups is not { } g || activation is not { } act
            || padTop is not { } pt || padBottom is not { } pb || padLeft is not { } pl || padRight is not { } pr)
        {
            return null;
        }

        (int top, int bottom) = same ? ShapeMath.SamePadding(h, kh, sh, dh) : (pt, pb);
        (int left, int right) = same ? ShapeMath.SamePadding(w, kw, sw, dw) : (pl, pr);
        Conv2DGeometry? geometry = Conv2DGeometry.TryCreate(c, h, w, oc, kh, kw, sh, sw, top, bottom, left, right, dh, dw, g, out ShapeProblem problem);
        if (geometry is null)
        {
            ShapeDiagnostics.Report(a, problem);
        }
        else if (ConvPlanner.TooLargeToGenerate(geometry) is { } limit)
        {
            a.Report(Descriptors.ShapeTooLarge, $"[Conv2D] {limit}");
        }
        else if (algorithm is (int)ConvAlgorithmChoice.Winograd or (int)ConvAlgorithmChoice.Winograd2x2 && WinogradPlan.Unsuitable(geometry) is { } reason)
        {
            a.Report(Descriptors.InvalidValue, $"[Conv2D] Algorithm = ConvAlgorithm.{(ConvAlgorithmChoice)algorithm} needs a 3×3 kernel, stride 1, dilation 1 and one group: {reason}. Use Auto or Direct.");
        }
        else if (algorithm == (int)ConvAlgorithmChoice.PackedDirect && geometry.Groups != 1)
        {
            a.Report(Descriptors.InvalidValue, FormattableString.Invariant($"[Conv2D] Algorithm = ConvAlgorithm.PackedDirect needs one group: this layer has {geometry.Groups}. Use Auto or Direct."));
        }

        return diagnostics.Count > 0 ? null : new ConvSpec(method, c, h, w, oc, kh, kw, sh, sw, top, bottom, left, right, dh, dw, g, act, a.Bool("FlipKernel"), same, (ConvAlgorithmChoice)algorithm);
    }
}
