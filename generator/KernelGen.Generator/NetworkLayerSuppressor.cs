using System.Collections.Immutable;
using System.Linq;
using KernelGen.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace KernelGen.Generator;

/// <summary>
/// A <c>[Network]</c>'s layer methods (<c>partial void Conv1();</c>) are declarations the generator reads, never
/// called and never implemented: the analyzers that would have them made static (CA1822) or removed as unused
/// (IDE0051) are told so, on those methods only.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class NetworkLayerSuppressor : DiagnosticSuppressor
{
    private static readonly SuppressionDescriptor MakeStatic = new(
        "KGENSPR001", "CA1822", "A [Network] layer method is a declaration of a layer; it has no body to make static.");

    private static readonly SuppressionDescriptor Unused = new(
        "KGENSPR002", "IDE0051", "A [Network] layer method is a declaration of a layer, read by the generator.");

    /// <inheritdoc/>
    public override ImmutableArray<SuppressionDescriptor> SupportedSuppressions => ImmutableArray.Create(MakeStatic, Unused);

    /// <inheritdoc/>
    public override void ReportSuppressions(SuppressionAnalysisContext context)
    {
        foreach (Diagnostic diagnostic in context.ReportedDiagnostics)
        {
            SyntaxTree? tree = diagnostic.Location.SourceTree;
            if (tree is null)
            {
                continue;
            }

            SyntaxNode node = tree.GetRoot(context.CancellationToken).FindNode(diagnostic.Location.SourceSpan);
            MethodDeclarationSyntax? method = node.FirstAncestorOrSelf<MethodDeclarationSyntax>();
            if (method is null
                || context.GetSemanticModel(tree).GetDeclaredSymbol(method, context.CancellationToken) is not { } symbol
                || !NetworkParser.IsNetwork(symbol.ContainingType)
                || !symbol.GetAttributes().Any(a => a.AttributeClass is { } c && MethodParser.LayerAttributes.Contains(c.ToDisplayString())))
            {
                continue;
            }

            context.ReportSuppression(Suppression.Create(diagnostic.Id == "CA1822" ? MakeStatic : Unused, diagnostic));
        }
    }
}
