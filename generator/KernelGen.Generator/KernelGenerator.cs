using System;
using System.Linq;
using KernelGen.Generator.Diagnostics;
using KernelGen.Generator.Emit;
using KernelGen.Generator.Model;
using KernelGen.Generator.Parsing;
using KernelGen.Generator.Planning;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace KernelGen.Generator;

/// <summary>
/// Writes the bodies of <c>static partial</c> methods that carry KernelGen's layer attributes.
/// Per attribute: find the methods, parse each into a spec of plain values, plan its loops, emit.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class KernelGenerator : IIncrementalGenerator
{
    /// <summary>The names of the pipeline's steps, for caching tests.</summary>
    public static class Steps
    {
        public const string Intrinsics = "Intrinsics";

        public const string DirectTiles = "DirectTiles";

        public static string Parse(string layer) => $"{layer}.Parse";

        public static string Plan(string layer) => $"{layer}.Plan";
    }

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // .NET 8 has no portable Vector512.FusedMultiplyAdd: there, kernels spell FMA with x86 intrinsics.
        IncrementalValueProvider<bool> legacyIntrinsics = context.CompilationProvider
            .Select(static (compilation, _) => compilation.GetTypeByMetadataName("System.Runtime.Intrinsics.Vector512")?.GetMembers("FusedMultiplyAdd").IsEmpty ?? true)
            .WithTrackingName(Steps.Intrinsics);

        IncrementalValuesProvider<(ConvPlan? Plan, DiagnosticInfo? Failure)> convolutions =
            Register(context, legacyIntrinsics, "Conv2D", Conv2DParser.AttributeName, Conv2DParser.Parse, ConvPlanner.Plan, ConvEmitter.Emit);
        Register(context, legacyIntrinsics, "MaxPool2D", PoolParser.MaxAttributeName, PoolParser.ParseMax, PoolPlanner.Plan, PoolEmitter.Emit);
        Register(context, legacyIntrinsics, "AvgPool2D", PoolParser.AverageAttributeName, PoolParser.ParseAverage, PoolPlanner.Plan, PoolEmitter.Emit);
        Register(context, legacyIntrinsics, "GlobalAvgPool2D", PoolParser.GlobalAttributeName, PoolParser.ParseGlobal, GlobalPoolPlan.Plan, GlobalPoolEmitter.Emit);
        Register(context, legacyIntrinsics, "GlobalMaxPool2D", PoolParser.GlobalMaxAttributeName, PoolParser.ParseGlobalMax, GlobalPoolPlan.Plan, GlobalPoolEmitter.Emit);
        Register(context, legacyIntrinsics, "Dense", DenseParser.AttributeName, DenseParser.Parse, DensePlan.Plan, DenseEmitter.Emit);
        Register(context, legacyIntrinsics, "Add", AddParser.AttributeName, AddParser.Parse, AddPlan.Plan, AddEmitter.Emit);
        Register(context, legacyIntrinsics, "BatchNorm2D", BatchNormParser.AttributeName, BatchNormParser.Parse, BatchNormPlan.Plan, BatchNormEmitter.Emit);
        IncrementalValuesProvider<(NetworkPlan? Plan, DiagnosticInfo? Failure)> networks = RegisterNetworks(context, legacyIntrinsics);
        RegisterDirectTiles(context, convolutions, networks);
    }

    /// <summary>
    /// The direct convolutions' register tiles, written once for the whole assembly: the distinct tiles every standalone
    /// and network convolution calls, in name order (so that the file, and what is cached after it, depends on the set only).
    /// </summary>
    private static void RegisterDirectTiles(
        IncrementalGeneratorInitializationContext context,
        IncrementalValuesProvider<(ConvPlan? Plan, DiagnosticInfo? Failure)> convolutions,
        IncrementalValuesProvider<(NetworkPlan? Plan, DiagnosticInfo? Failure)> networks)
    {
        IncrementalValueProvider<EquatableArray<DirectTile>> tiles = convolutions
            .SelectMany(static (item, _) => item.Plan?.DirectTiles ?? [])
            .Collect()
            .Combine(networks.SelectMany(static (item, _) => item.Plan is null ? [] : item.Plan.Kernels.Select(k => k.Plan).OfType<ConvPlan>().SelectMany(c => c.DirectTiles)).Collect())
            .Select(static (input, _) => input.Left.Concat(input.Right)
                .GroupBy(t => t.Name, StringComparer.Ordinal).Select(g => g.First()) // the name says everything the code depends on
                .OrderBy(t => t.Name, StringComparer.Ordinal).ToEquatableArray())
            .WithTrackingName(Steps.DirectTiles);

        context.RegisterSourceOutput(tiles, static (spc, tiles) =>
        {
            if (tiles.Count == 0)
            {
                return;
            }

            try
            {
                spc.AddSource(DirectTileEmitter.HintName, DirectTileEmitter.Emit(tiles));
            }
            catch (Exception e)
            {
                spc.ReportDiagnostic(Failure("DirectTiles", e).ToDiagnostic());
            }
        });
    }

    /// <summary>
    /// <c>[Network]</c> classes: parse the class and its layer methods into one spec (each layer's input inferred), then
    /// write every layer's forward kernel and the network file. Nothing is added unless every file could be written.
    /// </summary>
    private static IncrementalValuesProvider<(NetworkPlan? Plan, DiagnosticInfo? Failure)> RegisterNetworks(IncrementalGeneratorInitializationContext context, IncrementalValueProvider<bool> legacyIntrinsics)
    {
        IncrementalValuesProvider<ParseResult<NetworkSpec>> parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(NetworkParser.AttributeName, static (node, _) => node is TypeDeclarationSyntax, (ctx, token) => Guarded(() => NetworkParser.Parse(ctx, token), ctx.TargetSymbol.Name, ctx.TargetNode.GetLocation()))
            .WithTrackingName(Steps.Parse("Network"));

        context.RegisterSourceOutput(parsed.SelectMany(static (result, _) => result.Diagnostics), static (spc, diagnostic) => spc.ReportDiagnostic(diagnostic.ToDiagnostic()));

        // [Concat] is a network layer only: on a method outside a network it is reported, not silently ignored.
        IncrementalValuesProvider<ParseResult<ConcatSpec>> concat = context.SyntaxProvider
            .ForAttributeWithMetadataName(NetworkParser.ConcatAttributeName, static (node, _) => node is MethodDeclarationSyntax or LocalFunctionStatementSyntax, (ctx, token) => Guarded(() => NetworkParser.ParseStandAloneConcat(ctx), ctx.TargetSymbol.Name, ctx.TargetNode.GetLocation()))
            .WithTrackingName(Steps.Parse("Concat"));
        context.RegisterSourceOutput(concat.SelectMany(static (result, _) => result.Diagnostics), static (spc, diagnostic) => spc.ReportDiagnostic(diagnostic.ToDiagnostic()));

        // Planning is its own step: which batch norms fold, and every kernel's plan, cached as plain values.
        IncrementalValuesProvider<(NetworkPlan? Plan, DiagnosticInfo? Failure)> planned = parsed
            .Where(static result => result.Spec is not null)
            .Combine(legacyIntrinsics)
            .Select(static (input, _) =>
            {
                try
                {
                    return ((NetworkPlan?)NetworkPlanner.Plan(input.Left.Spec!, input.Right), (DiagnosticInfo?)null);
                }
                catch (Exception e)
                {
                    return (null, Failure(input.Left.Spec!.Name, e));
                }
            })
            .WithTrackingName(Steps.Plan("Network"));

        context.RegisterSourceOutput(planned, static (spc, item) =>
        {
            if (item.Failure is not null)
            {
                spc.ReportDiagnostic(item.Failure.ToDiagnostic());
                return;
            }

            try
            {
                foreach ((string hint, string source) in NetworkEmitter.Emit(item.Plan!).ToList())
                {
                    spc.AddSource(hint, source);
                }
            }
            catch (Exception e)
            {
                spc.ReportDiagnostic(Failure(item.Plan!.Spec.Name, e).ToDiagnostic());
            }
        });

        return planned;
    }

    private static IncrementalValuesProvider<(TPlan? Plan, DiagnosticInfo? Failure)> Register<TSpec, TPlan>(
        IncrementalGeneratorInitializationContext context,
        IncrementalValueProvider<bool> legacyIntrinsics,
        string layer,
        string attributeName,
        Func<GeneratorAttributeSyntaxContext, System.Threading.CancellationToken, ParseResult<TSpec>> parse,
        Func<TSpec, bool, TPlan> plan,
        Func<TPlan, string> emit)
        where TSpec : class, ISpec
        where TPlan : class, IPlan
    {
        IncrementalValuesProvider<ParseResult<TSpec>> parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(attributeName, static (node, _) => node is MethodDeclarationSyntax or LocalFunctionStatementSyntax, (ctx, token) => Guarded(() => parse(ctx, token), ctx.TargetSymbol.Name, ctx.TargetNode.GetLocation()))
            .WithTrackingName(Steps.Parse(layer));

        context.RegisterSourceOutput(parsed.SelectMany(static (result, _) => result.Diagnostics), static (spc, diagnostic) => spc.ReportDiagnostic(diagnostic.ToDiagnostic()));

        IncrementalValuesProvider<(TPlan? Plan, DiagnosticInfo? Failure)> planned = parsed
            .Where(static result => result.Spec is not null)
            .Combine(legacyIntrinsics)
            .Select((input, _) =>
            {
                try
                {
                    return ((TPlan?)plan(input.Left.Spec!, input.Right), (DiagnosticInfo?)null);
                }
                catch (Exception e)
                {
                    return (null, Failure(input.Left.Spec!.Method.Name, e));
                }
            })
            .WithTrackingName(Steps.Plan(layer));

        context.RegisterSourceOutput(planned, (spc, item) =>
        {
            if (item.Failure is not null)
            {
                spc.ReportDiagnostic(item.Failure.ToDiagnostic());
                return;
            }

            string hint = item.Plan!.Method.HintName;
            try
            {
                spc.AddSource(hint, emit(item.Plan!));
            }
            catch (Exception e)
            {
                spc.ReportDiagnostic(Failure(item.Plan!.Method.Name, e).ToDiagnostic());
            }
        });

        return planned;
    }

    /// <summary>Runs a parser so that no exception escapes: an unexpected one becomes diagnostic KGEN011 on the method.</summary>
    internal static ParseResult<TSpec> Guarded<TSpec>(Func<ParseResult<TSpec>> parse, string method, Location location)
        where TSpec : class
    {
        try
        {
            return parse();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new ParseResult<TSpec>(null, new[] { DiagnosticInfo.Create(Descriptors.GeneratorFailure, location, method, e.GetType().Name, e.Message.TrimEnd('.')) }.ToEquatableArray());
        }
    }

    private static DiagnosticInfo Failure(string what, Exception e) =>
        DiagnosticInfo.Create(Descriptors.GeneratorFailure, null, what, e.GetType().Name, e.Message.TrimEnd('.'));
}
