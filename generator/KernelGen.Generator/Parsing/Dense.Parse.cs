using System.Collections.Generic;
using System.Threading;
using KernelGen.Generator.Diagnostics;
using KernelGen.Generator.Model;
using Microsoft.CodeAnalysis;

namespace KernelGen.Generator.Parsing;

/// <summary>Reads a <c>[Dense]</c> method into a <see cref="DenseSpec"/>.</summary>
internal static class DenseParser
{
    public const string AttributeName = "KernelGen.DenseAttribute";

    public static ParseResult<DenseSpec> Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken) =>
        LayerParse.Run(context, AttributeName, SignatureKind.Weighted, "Dense", Read, cancellationToken);

    /// <summary>Reads the attribute's properties into a spec for <paramref name="method"/>; null when any is wrong.</summary>
    internal static DenseSpec? Read(LayerAttribute a, MethodTarget? method)
    {
        List<DiagnosticInfo> diagnostics = a.Diagnostics;
        int? inFeatures = a.Required("InFeatures"), outFeatures = a.Required("OutFeatures");
        ActivationSpec? activation = a.Activation();
        if (method is not null && diagnostics.Count == 0 && inFeatures is { } i && outFeatures is { } o
            && DenseGeometry.TryCreate(i, o, out ShapeProblem problem) is null)
        {
            ShapeDiagnostics.Report(a, problem);
        }

        return method is not null && diagnostics.Count == 0 && inFeatures is { } inputs && outFeatures is { } outputs && activation is { } act
            ? new DenseSpec(method, inputs, outputs, act)
            : null;
    }
}
