using System.Collections.Generic;
using System.Linq;
using System.Threading;
using KernelGen.Generator.Diagnostics;
using KernelGen.Generator.Model;
using Microsoft.CodeAnalysis;

namespace KernelGen.Generator.Parsing;

/// <summary>Reads a stand-alone <c>[Add]</c> method into an <see cref="AddSpec"/>.</summary>
internal static class AddParser
{
    public const string AttributeName = "KernelGen.AddAttribute";

    public static ParseResult<AddSpec> Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var diagnostics = new List<DiagnosticInfo>();
        cancellationToken.ThrowIfCancellationRequested();
        MethodTarget? method = MethodParser.Parse(context, AttributeName, SignatureKind.Binary, diagnostics, out bool skip);
        if (skip)
        {
            return ParseResult<AddSpec>.Of(null, diagnostics);
        }

        var a = new LayerAttribute("Add", context.Attributes[0], diagnostics);
        LayerParse.StandAlone(a);
        string[] layers = context.Attributes[0].ConstructorArguments
            .Where(c => !c.IsNull)
            .SelectMany(c => c.Kind == TypedConstantKind.Array ? c.Values.AsEnumerable() : new[] { c })
            .Select(v => v.Value as string ?? "null")
            .ToArray();
        if (layers.Length > 0)
        {
            a.Report(Descriptors.InvalidValue, Invariant(
                $"[Add] names layers ({string.Join(", ", layers)}), which only an [Add] inside a [Network] can: a stand-alone [Add] adds the method's two input spans. Remove them."));
        }

        return ParseResult<AddSpec>.Of(Read(a, method), diagnostics);
    }

    /// <summary>Reads the attribute's properties into a spec for <paramref name="method"/>; null when any is wrong.</summary>
    internal static AddSpec? Read(LayerAttribute a, MethodTarget? method)
    {
        List<DiagnosticInfo> diagnostics = a.Diagnostics;
        int? channels = a.Required("Channels"), height = a.Required("Height"), width = a.Required("Width");
        ActivationSpec? activation = a.Activation();
        if (channels is { } c && height is { } h && width is { } w)
        {
            ShapeDiagnostics.CheckPlanes(a, c, h, w);
        }

        return method is not null && diagnostics.Count == 0 && channels is { } planes && height is { } rows && width is { } columns && activation is { } act
            ? new AddSpec(method, planes, rows, columns, act)
            : null;
    }
}
