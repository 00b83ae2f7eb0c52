using KernelGen.Generator.Diagnostics;
using KernelGen.Generator.Model;

namespace KernelGen.Generator.Parsing;

/// <summary>What parsing one attributed method gives: a spec to emit (none when it has errors) and the diagnostics to report.</summary>
internal sealed record ParseResult<TSpec>(TSpec? Spec, EquatableArray<DiagnosticInfo> Diagnostics)
    where TSpec : class
{
    /// <summary>A result with each diagnostic once (a property read for both axes may report twice), and no spec when there are any.</summary>
    public static ParseResult<TSpec> Of(TSpec? spec, System.Collections.Generic.IEnumerable<DiagnosticInfo> diagnostics)
    {
        EquatableArray<DiagnosticInfo> distinct = System.Linq.Enumerable.Distinct(diagnostics).ToEquatableArray();
        return new ParseResult<TSpec>(distinct.Count > 0 ? null : spec, distinct);
    }
}

/// <summary>The steps every stand-alone layer's parse shares: the method's declaration, then its attribute's properties.</summary>
internal static class LayerParse
{
    /// <summary>
    /// Checks the method's declaration for <paramref name="kind"/>, then reads the attribute named <paramref name="name"/>
    /// with <paramref name="read"/> (which gets a null method when the declaration is unusable, so that the attribute's
    /// own problems are still reported).
    /// </summary>
    public static ParseResult<TSpec> Run<TSpec>(
        Microsoft.CodeAnalysis.GeneratorAttributeSyntaxContext context, string attributeName, SignatureKind kind, string name,
        System.Func<LayerAttribute, MethodTarget?, TSpec?> read, System.Threading.CancellationToken cancellationToken)
        where TSpec : class
    {
        cancellationToken.ThrowIfCancellationRequested();
        var diagnostics = new System.Collections.Generic.List<DiagnosticInfo>();
        MethodTarget? method = MethodParser.Parse(context, attributeName, kind, diagnostics, out bool skip);
        if (skip)
        {
            return ParseResult<TSpec>.Of(null, diagnostics);
        }

        var attribute = new LayerAttribute(name, context.Attributes[0], diagnostics);
        StandAlone(attribute);
        return ParseResult<TSpec>.Of(read(attribute, method), diagnostics);
    }

    /// <summary>Reports the properties only a layer inside a <c>[Network]</c> takes (<c>Input</c>), on a stand-alone kernel.</summary>
    public static void StandAlone(LayerAttribute attribute)
    {
        if (attribute.Has("Input"))
        {
            attribute.Report(Descriptors.InvalidValue, Invariant(
                $"[{attribute.Name}] Input names the layer that a [Network] layer reads; a stand-alone kernel reads its input span. Remove Input."));
        }

        if (attribute.Has("Name"))
        {
            attribute.Report(Descriptors.InvalidValue, Invariant(
                $"[{attribute.Name}] Name prefixes a [Network] layer's parameter names; a stand-alone kernel has no parameters of its own. Remove Name."));
        }

        if (attribute.Has("SharesWeightsWith"))
        {
            attribute.Report(Descriptors.InvalidValue, Invariant(
                $"[{attribute.Name}] SharesWeightsWith makes a [Network] layer use another's parameters; a stand-alone kernel takes its weights as a span. Remove SharesWeightsWith."));
        }

        if (attribute.Has("Bias"))
        {
            attribute.Report(Descriptors.InvalidValue, Invariant(
                $"[{attribute.Name}] Bias is for a [Network] layer; a stand-alone kernel has a bias when its method takes a bias span. Remove Bias."));
        }
    }
}
