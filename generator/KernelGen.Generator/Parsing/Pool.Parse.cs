using System.Collections.Generic;
using System.Linq;
using System.Threading;
using KernelGen.Generator.Diagnostics;
using KernelGen.Generator.Model;
using KernelGen.Generator.Planning;
using Microsoft.CodeAnalysis;

namespace KernelGen.Generator.Parsing;

/// <summary>Reads <c>[MaxPool2D]</c>, <c>[AvgPool2D]</c>, <c>[GlobalAvgPool2D]</c> and <c>[GlobalMaxPool2D]</c> methods into specs.</summary>
internal static class PoolParser
{
    public const string MaxAttributeName = "KernelGen.MaxPool2DAttribute";
    public const string AverageAttributeName = "KernelGen.AvgPool2DAttribute";
    public const string GlobalAttributeName = "KernelGen.GlobalAvgPool2DAttribute";
    public const string GlobalMaxAttributeName = "KernelGen.GlobalMaxPool2DAttribute";

    public static ParseResult<PoolSpec> ParseMax(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken) =>
        Parse(context, PoolKind.Max, MaxAttributeName, "MaxPool2D", cancellationToken);

    public static ParseResult<PoolSpec> ParseAverage(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken) =>
        Parse(context, PoolKind.Average, AverageAttributeName, "AvgPool2D", cancellationToken);

    public static ParseResult<GlobalPoolSpec> ParseGlobal(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken) =>
        ParseGlobal(context, PoolKind.Average, GlobalAttributeName, cancellationToken);

    public static ParseResult<GlobalPoolSpec> ParseGlobalMax(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken) =>
        ParseGlobal(context, PoolKind.Max, GlobalMaxAttributeName, cancellationToken);

    private static ParseResult<GlobalPoolSpec> ParseGlobal(GeneratorAttributeSyntaxContext context, PoolKind kind, string attributeName, CancellationToken cancellationToken) =>
        LayerParse.Run(context, attributeName, SignatureKind.Unweighted, kind == PoolKind.Max ? "GlobalMaxPool2D" : "GlobalAvgPool2D", (a, method) => ReadGlobal(a, method, kind), cancellationToken);

    /// <summary>Reads a <c>[GlobalAvgPool2D]</c> or <c>[GlobalMaxPool2D]</c> attribute into a spec for <paramref name="method"/>; null when any property is wrong.</summary>
    internal static GlobalPoolSpec? ReadGlobal(LayerAttribute a, MethodTarget? method, PoolKind kind = PoolKind.Average)
    {
        List<DiagnosticInfo> diagnostics = a.Diagnostics;
        int? channels = a.Required("Channels"), height = a.Required("Height"), width = a.Required("Width");
        if (method is not null && channels is { } c && height is { } h && width is { } w && diagnostics.Count == 0)
        {
            ShapeDiagnostics.CheckPlanes(a, c, h, w);
        }

        return method is not null && diagnostics.Count == 0 && channels is { } planes && height is { } rows && width is { } columns
            ? new GlobalPoolSpec(method, planes, rows, columns, kind)
            : null;
    }

    private static ParseResult<PoolSpec> Parse(GeneratorAttributeSyntaxContext context, PoolKind kind, string attributeName, string name, CancellationToken cancellationToken) =>
        LayerParse.Run(context, attributeName, SignatureKind.Unweighted, name, (a, method) => Read(a, method, kind), cancellationToken);

    private static readonly string[] DilationProperties = ["Dilation", "DilationHeight", "DilationWidth"];

    private static readonly Dictionary<string, string> PaddingSides = new()
    {
        ["padTop"] = "PaddingTop", ["padBottom"] = "PaddingBottom", ["padLeft"] = "PaddingLeft", ["padRight"] = "PaddingRight",
    };

    /// <summary>Reads a <c>[MaxPool2D]</c> or <c>[AvgPool2D]</c> attribute into a spec for <paramref name="method"/>; null when any property is wrong.</summary>
    internal static PoolSpec? Read(LayerAttribute a, MethodTarget? method, PoolKind kind)
    {
        List<DiagnosticInfo> diagnostics = a.Diagnostics;
        string name = a.Name;
        int? channels = a.Required("Channels"), height = a.Required("Height"), width = a.Required("Width");
        int? kernelHeight = a.Kernel("KernelHeight"), kernelWidth = a.Kernel("KernelWidth");
        int? strideHeight = a.PerAxis("Stride", "StrideHeight", kernelHeight ?? 1), strideWidth = a.PerAxis("Stride", "StrideWidth", kernelWidth ?? 1);
        bool same = a.Bool("SamePadding"), ceil = a.Bool("CeilMode");
        if (same && ceil)
        {
            a.Report(Descriptors.ConflictingProperties, name, "SamePadding", "CeilMode");
        }

        (int? padTop, int? padBottom, int? padLeft, int? padRight) = a.Paddings(same);
        int? dilationHeight = 1, dilationWidth = 1;
        if (kind == PoolKind.Max)
        {
            (dilationHeight, dilationWidth) = (a.PerAxis("Dilation", "DilationHeight", 1), a.PerAxis("Dilation", "DilationWidth", 1));
        }
        else
        {
            foreach (string dilation in DilationProperties.Where(a.Has))
            {
                a.Report(Descriptors.InvalidValue, Invariant($"[{name}] {dilation}: an average pool has no dilation (PyTorch's AvgPool2d has none); only [MaxPool2D] spaces its window's taps. Remove {dilation}."));
            }
        }

        if (method is null || diagnostics.Count > 0 || channels is not { } c || height is not { } h || width is not { } w
            || kernelHeight is not { } kh || kernelWidth is not { } kw || strideHeight is not { } sh || strideWidth is not { } sw
            || padTop is not { } pt || padBottom is not { } pb || padLeft is not { } pl || padRight is not { } pr
            || dilationHeight is not { } dh || dilationWidth is not { } dw)
        {
            return null;
        }

        (pt, pb) = same ? ShapeMath.SamePadding(h, kh, sh, dh) : (pt, pb);
        (pl, pr) = same ? ShapeMath.SamePadding(w, kw, sw, dw) : (pl, pr);
        Pool2DGeometry? geometry = Pool2DGeometry.TryCreate(c, h, w, kh, kw, sh, sw, pt, pb, pl, pr, ceil, dh, dw, out ShapeProblem problem);
        if (geometry is null && problem.Kind == ShapeProblemKind.PaddingNotSmallerThanKernel)
        {
            a.Report(Descriptors.PoolPaddingTooLarge, $"[{name}] {problem.Message}", PaddingSides[problem.Parameter ?? "padTop"]);
        }
        else if (geometry is null)
        {
            ShapeDiagnostics.Report(a, problem);
        }
        else if (PoolPlanner.TooLargeToGenerate(geometry) is { } limit)
        {
            a.Report(Descriptors.ShapeTooLarge, $"[{name}] {limit}");
        }

        return diagnostics.Count > 0 ? null : new PoolSpec(method, kind, c, h, w, kh, kw, sh, sw, pt, pb, pl, pr, kind == PoolKind.Average && a.Bool("CountIncludePad"), ceil, dh, dw);
    }
}
