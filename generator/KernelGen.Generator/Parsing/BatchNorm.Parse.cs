using System.Collections.Generic;
using System.Threading;
using KernelGen.Generator.Diagnostics;
using KernelGen.Generator.Model;
using Microsoft.CodeAnalysis;

namespace KernelGen.Generator.Parsing;

/// <summary>Reads a stand-alone <c>[BatchNorm2D]</c> method into a <see cref="BatchNormSpec"/>.</summary>
internal static class BatchNormParser
{
    public const string AttributeName = "KernelGen.BatchNorm2DAttribute";

    public static ParseResult<BatchNormSpec> Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken) =>
        LayerParse.Run(context, AttributeName, SignatureKind.Normalization, "BatchNorm2D", Read, cancellationToken);

    /// <summary>Reads the attribute's properties into a spec for <paramref name="method"/>; null when any is wrong.</summary>
    internal static BatchNormSpec? Read(LayerAttribute a, MethodTarget? method)
    {
        List<DiagnosticInfo> diagnostics = a.Diagnostics;
        int? channels = a.Required("Channels"), height = a.Required("Height"), width = a.Required("Width");
        float? epsilon = a.Float("Epsilon", 1e-5f, 0, minimumAllowed: false, float.MaxValue, "positive and finite (PyTorch's and ONNX's default is 1e-5)");
        float? momentum = a.Float("Momentum", 0.1f, 0, minimumAllowed: true, 1, "from 0 to 1, PyTorch's convention (the default is 0.1; ONNX's momentum is 1 minus it)");
        ActivationSpec? activation = a.Activation();
        if (channels is { } c && height is { } h && width is { } w)
        {
            ShapeDiagnostics.CheckPlanes(a, c, h, w);
        }

        return method is not null && diagnostics.Count == 0 && channels is { } planes && height is { } rows && width is { } columns
            && epsilon is { } e && activation is { } act && momentum is { } m
            ? new BatchNormSpec(method, planes, rows, columns, e, act, m)
            : null;
    }
}
