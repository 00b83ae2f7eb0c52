using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using KernelGen.Generator.Diagnostics;
using KernelGen.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace KernelGen.Generator.Parsing;

/// <summary>Which parameter lists a layer accepts.</summary>
internal enum SignatureKind
{
    /// <summary><c>(input, weights[, bias], output[, batch])</c>: Conv2D and Dense.</summary>
    Weighted,

    /// <summary><c>(input, output[, batch])</c>: the pools.</summary>
    Unweighted,

    /// <summary><c>(a, b, output[, batch])</c>: element-wise layers of two inputs.</summary>
    Binary,

    /// <summary><c>(input, scale, shift, mean, variance, output[, batch])</c>: batch normalisation.</summary>
    Normalization,
}

/// <summary>Checks the attributed method's declaration and reads where and how its body must be written.</summary>
internal static class MethodParser
{
    /// <summary>The layer attributes, by metadata name; a method may carry only one.</summary>
    public static readonly ImmutableArray<string> LayerAttributes = ImmutableArray.Create(
        "KernelGen.Conv2DAttribute", "KernelGen.MaxPool2DAttribute", "KernelGen.AvgPool2DAttribute",
        "KernelGen.GlobalAvgPool2DAttribute", "KernelGen.GlobalMaxPool2DAttribute", "KernelGen.DenseAttribute", "KernelGen.AddAttribute",
        "KernelGen.BatchNorm2DAttribute", "KernelGen.ConcatAttribute");

    private const string ReadOnlySpan = "System.ReadOnlySpan<float>";
    private const string Span = "System.Span<float>";

    /// <summary>
    /// The method's target, or null when its declaration is unusable (the reasons are added to
    /// <paramref name="diagnostics"/>). <paramref name="skip"/> is set when another layer attribute on
    /// the same method reports the problem instead, so that it is reported once.
    /// </summary>
    public static MethodTarget? Parse(GeneratorAttributeSyntaxContext context, string attributeName, SignatureKind kind, List<DiagnosticInfo> diagnostics, out bool skip)
    {
        skip = false;
        var method = (IMethodSymbol)context.TargetSymbol;
        if (context.TargetNode is not MethodDeclarationSyntax syntax)
        {
            Location local = context.TargetNode is LocalFunctionStatementSyntax function ? function.Identifier.GetLocation() : context.TargetNode.GetLocation();
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.NotStaticPartialVoid, local, method.Name, "it is a local function"));
            return null;
        }

        Location location = syntax.Identifier.GetLocation();

        // In a [Network] class the layer methods are declarations of layers, which the network's own parse reads.
        if (NetworkParser.IsNetwork(method.ContainingType))
        {
            skip = true;
            return null;
        }

        string[] layers = method.GetAttributes()
            .Select(a => a.AttributeClass?.ToDisplayString())
            .Where(n => n is not null && LayerAttributes.Contains(n))
            .Select(n => n!)
            .ToArray();
        if (layers.Length > 1)
        {
            skip = layers[0] != attributeName;
            if (!skip)
            {
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.SeveralLayerAttributes, location, method.Name, Short(layers[0]), Short(layers[1])));
            }

            return null;
        }

        string? declarationProblem =
            !method.IsStatic ? "it is not static" :
            !syntax.Modifiers.Any(SyntaxKind.PartialKeyword) ? "it is not partial" :
            !method.ReturnsVoid ? "it does not return void" :
            syntax.Body is not null || syntax.ExpressionBody is not null ? "it has a body" :
            method.PartialImplementationPart is not null ? "it is already implemented elsewhere" :
            method.IsGenericMethod ? "it is generic" :
            null;
        if (declarationProblem is not null)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.NotStaticPartialVoid, location, method.Name, declarationProblem));
            return null;
        }

        if (ContainingTypes(method.ContainingType, out string? typeProblem) is not { } types)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.ContainingTypeNotSupported, location, method.Name, typeProblem!));
            return null;
        }

        // A parameter the generated declaration could not repeat as it is (ref, this, scoped, params) does not match.
        string[] parameterTypes = method.Parameters
            .Select((p, i) => p.RefKind == RefKind.None && !p.IsParams && p.ScopedKind == ScopedKind.None && !HasModifiers(syntax, i) ? p.Type.ToDisplayString() : "unsupported")
            .ToArray();
        bool hasBatch = parameterTypes.Length > 0 && parameterTypes[parameterTypes.Length - 1] == "int";
        string[] spans = hasBatch ? parameterTypes.Take(parameterTypes.Length - 1).ToArray() : parameterTypes;
        string[][] accepted = kind switch
        {
            SignatureKind.Weighted => [[ReadOnlySpan, ReadOnlySpan, Span], [ReadOnlySpan, ReadOnlySpan, ReadOnlySpan, Span]],
            SignatureKind.Binary => [[ReadOnlySpan, ReadOnlySpan, Span]],
            SignatureKind.Normalization => [[ReadOnlySpan, ReadOnlySpan, ReadOnlySpan, ReadOnlySpan, ReadOnlySpan, Span]],
            _ => [[ReadOnlySpan, Span]],
        };
        if (!accepted.Any(a => a.SequenceEqual(spans)))
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.WrongParameters, location, method.Name, kind switch
            {
                SignatureKind.Weighted => "(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, [ReadOnlySpan<float> bias,] Span<float> output[, int batch])",
                SignatureKind.Binary => "(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> output[, int batch])",
                SignatureKind.Normalization => "(ReadOnlySpan<float> input, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, ReadOnlySpan<float> mean, ReadOnlySpan<float> variance, Span<float> output[, int batch])",
                _ => "(ReadOnlySpan<float> input, Span<float> output[, int batch])",
            }));
            return null;
        }

        return new MethodTarget(
            method.ContainingNamespace.IsGlobalNamespace ? "" : string.Join(".", method.ContainingNamespace.ToDisplayParts().Where(p => p.Kind == SymbolDisplayPartKind.NamespaceName).Select(p => Identifier(p.ToString()))),
            types.ToEquatableArray(),
            string.Join(" ", syntax.Modifiers.Select(m => m.Text)),
            Identifier(method.Name),
            method.Parameters.Select(p => Identifier(p.Name)).ToEquatableArray(),
            HasBias: kind == SignatureKind.Weighted && spans.Length == 4,
            HasBatch: hasBatch,
            HintSuffix: OverloadSuffix(method));
    }

    /// <summary>The attribute's name as the user writes it: <c>KernelGen.Conv2DAttribute</c> → <c>Conv2D</c>.</summary>
    public static string Short(string metadataName)
    {
        string name = metadataName.Substring(metadataName.LastIndexOf('.') + 1);
        return name.EndsWith("Attribute", System.StringComparison.Ordinal) ? name.Substring(0, name.Length - "Attribute".Length) : name;
    }

    private static bool HasModifiers(MethodDeclarationSyntax syntax, int parameter) =>
        parameter < syntax.ParameterList.Parameters.Count && syntax.ParameterList.Parameters[parameter].Modifiers.Count > 0;

    /// <summary>A name as C# must write it: a keyword gets its <c>@</c> back.</summary>
    internal static string Identifier(string name) => SyntaxFacts.GetKeywordKind(name) == SyntaxKind.None ? name : "@" + name;

    /// <summary>
    /// File names are compared ignoring case, so kernels in one type whose names differ only by case or
    /// overload each get their position among them as a suffix; a lone kernel gets none.
    /// </summary>
    private static string OverloadSuffix(IMethodSymbol method)
    {
        IMethodSymbol[] namesakes = method.ContainingType.GetMembers()
            .OfType<IMethodSymbol>()
            .Where(m => string.Equals(m.Name, method.Name, System.StringComparison.OrdinalIgnoreCase))
            .Where(m => m.GetAttributes().Any(a => a.AttributeClass is { } c && LayerAttributes.Contains(c.ToDisplayString())))
            .ToArray();
        int index = System.Array.FindIndex(namesakes, m => SymbolEqualityComparer.Default.Equals(m, method));
        return namesakes.Length > 1 ? "." + (index + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) : "";
    }

    /// <summary>
    /// The types from the outermost to <paramref name="innermost"/>, as the generated partial declarations repeat them; or
    /// null, with why in <paramref name="problem"/>, when one of them cannot be repeated: a generic, non-partial or
    /// file-local type.
    /// </summary>
    internal static List<ContainingType>? ContainingTypes(INamedTypeSymbol? innermost, out string? problem)
    {
        var types = new List<ContainingType>();
        for (INamedTypeSymbol? type = innermost; type is not null; type = type.ContainingType)
        {
            problem =
                type.TypeParameters.Length > 0 ? $"'{type.Name}' is generic"
                : !IsPartial(type) ? $"'{type.Name}' is not partial"
                : type.IsFileLocal ? $"'{type.Name}' is file-local, and the generated part is in another file"
                : null;
            if (problem is not null)
            {
                return null;
            }

            types.Insert(0, new ContainingType(Keyword(type), Identifier(type.Name)));
        }

        problem = null;
        return types;
    }

    internal static bool IsPartial(INamedTypeSymbol type) =>
        type.DeclaringSyntaxReferences.Any(r => r.GetSyntax() is TypeDeclarationSyntax t && t.Modifiers.Any(SyntaxKind.PartialKeyword));

    internal static string Keyword(INamedTypeSymbol type) => type switch
    {
        { IsRecord: true, IsValueType: true } => "record struct",
        { IsRecord: true } => "record",
        { TypeKind: TypeKind.Struct } => "struct",
        { TypeKind: TypeKind.Interface } => "interface",
        _ => "class",
    };
}
