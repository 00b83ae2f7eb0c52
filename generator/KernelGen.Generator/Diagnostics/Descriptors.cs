using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace KernelGen.Generator.Diagnostics;

/// <summary>
/// Every diagnostic KernelGen reports. IDs are tracked in AnalyzerReleases.Unshipped.md; each has a page
/// under docs/diagnostics/ that its help link points to.
/// </summary>
internal static class Descriptors
{
    private const string Category = "KernelGen";

    public static readonly DiagnosticDescriptor NotStaticPartialVoid = Error(
        "KGEN001", "Kernel method must be a static partial void declaration",
        "'{0}' must be declared 'static partial void' without a body, so that KernelGen can write its body: {1}");

    public static readonly DiagnosticDescriptor WrongParameters = Error(
        "KGEN002", "Kernel method has the wrong parameters",
        "'{0}' must take {1}");

    public static readonly DiagnosticDescriptor MissingProperty = Error(
        "KGEN003", "Required layer property is missing",
        "[{0}] needs {1}: add it to the attribute");

    public static readonly DiagnosticDescriptor InvalidValue = Error(
        "KGEN004", "Layer property has an invalid value",
        "{0}");

    public static readonly DiagnosticDescriptor KernelLargerThanInput = Error(
        "KGEN005", "Kernel is larger than the padded input",
        "{0}");

    public static readonly DiagnosticDescriptor ChannelsNotDivisibleByGroups = Error(
        "KGEN006", "Channels are not divisible by the groups",
        "{0}");

    public static readonly DiagnosticDescriptor ConflictingProperties = Error(
        "KGEN007", "Layer properties conflict",
        "[{0}] sets both {1} and {2}: keep one");

    public static readonly DiagnosticDescriptor ShapeTooLarge = Error(
        "KGEN008", "Layer shape is too large to generate",
        "{0}");

    public static readonly DiagnosticDescriptor ContainingTypeNotSupported = Error(
        "KGEN009", "Kernel method's containing type is not partial or is generic",
        "'{0}' must be in partial, non-generic types: {1}");

    public static readonly DiagnosticDescriptor PoolPaddingTooLarge = Error(
        "KGEN010", "A pooling window covers padding only",
        "{0} Reduce {1}.");

    public static readonly DiagnosticDescriptor GeneratorFailure = Error(
        "KGEN011", "KernelGen failed to generate a kernel",
        "KernelGen could not generate '{0}': {1}: {2}. Please report this, with the attribute and signature.");

    public static readonly DiagnosticDescriptor SeveralLayerAttributes = Error(
        "KGEN012", "Method has more than one layer attribute",
        "'{0}' carries both [{1}] and [{2}]: a method implements one layer");

    public static readonly DiagnosticDescriptor LayerDoesNotChain = Error(
        "KGEN013", "Network layer does not fit the layer before it",
        "{0}");

    public static readonly DiagnosticDescriptor NotANetworkLayer = Error(
        "KGEN014", "Network layer must be a parameterless partial void declaration",
        "'{0}' is a layer of network '{1}', so it must be declared 'partial void {0}();' with no body, no parameters and no modifiers: {2}");

    public static readonly DiagnosticDescriptor NetworkNotSupported = Error(
        "KGEN015", "Class cannot be a network",
        "'{0}' cannot be a [Network]: {1}");

    public static readonly DiagnosticDescriptor NetworkGraphInvalid = Error(
        "KGEN016", "Network layers do not form a graph",
        "{0}");

    private static readonly Dictionary<string, DiagnosticDescriptor> All = typeof(Descriptors)
        .GetFields()
        .Select(f => f.GetValue(null))
        .OfType<DiagnosticDescriptor>()
        .ToDictionary(d => d.Id);

    public static DiagnosticDescriptor ById(string id) => All[id];

    private static DiagnosticDescriptor Error(string id, string title, string message) => new(
        id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true,
        helpLinkUri: $"https://github.com/kernelgen/kernelgen/blob/main/docs/diagnostics/{id}.md",
        customTags: WellKnownDiagnosticTags.NotConfigurable);
}
