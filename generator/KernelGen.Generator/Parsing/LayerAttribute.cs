using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using KernelGen.Generator.Diagnostics;
using Microsoft.CodeAnalysis;

namespace KernelGen.Generator.Parsing;

/// <summary>
/// The named properties of one layer attribute as written, and the diagnostics found while reading
/// them. Reading never throws: a missing or invalid property becomes a diagnostic and a null.
/// </summary>
internal sealed class LayerAttribute
{
    private readonly Dictionary<string, TypedConstant> _arguments;

    public LayerAttribute(string name, AttributeData data, List<DiagnosticInfo> diagnostics, InferredInput? input = null)
    {
        Name = name;
        Input = input;
        Diagnostics = diagnostics;
        Location = data.ApplicationSyntaxReference?.GetSyntax().GetLocation();
        _arguments = data.NamedArguments.GroupBy(a => a.Key).ToDictionary(g => g.Key, g => g.Last().Value);
    }

    /// <summary>The attribute's name without "Attribute", as the user writes it: <c>Conv2D</c>.</summary>
    public string Name { get; }

    public Location? Location { get; }

    public List<DiagnosticInfo> Diagnostics { get; }

    /// <summary>In a network, the input sizes the layer before gives this one; null for a stand-alone kernel.</summary>
    public InferredInput? Input { get; }

    public bool Has(string property) => _arguments.ContainsKey(property);

    public bool Bool(string property) => _arguments.TryGetValue(property, out TypedConstant value) && value.Value is true;

    /// <summary>
    /// A float property: its value when it is set and within (<paramref name="minimum"/>, <paramref name="maximum"/>] —
    /// or [<paramref name="minimum"/>, …] with <paramref name="minimumAllowed"/> — else <paramref name="fallback"/> when
    /// not set, or a diagnostic and null.
    /// </summary>
    public float? Float(string property, float fallback, float minimum, bool minimumAllowed, float maximum, string rule)
    {
        if (!_arguments.TryGetValue(property, out TypedConstant constant))
        {
            return fallback;
        }

        if (constant.Value is not float value)
        {
            return null;
        }

        if (float.IsNaN(value) || (minimumAllowed ? value < minimum : value <= minimum) || value > maximum)
        {
            Report(Descriptors.InvalidValue, Invariant($"[{Name}] {property} = {value.ToString("R", CultureInfo.InvariantCulture)}: it must be {rule}."));
            return null;
        }

        return value;
    }

    /// <summary>The value of an int property, or null when it is not set.</summary>
    public int? Int(string property) => _arguments.TryGetValue(property, out TypedConstant value) && value.Value is int i ? i : null;

    /// <summary>A required size: positive, or a diagnostic and null.</summary>
    public int? Required(string property)
    {
        if (Input is not null && Input.Sizes.TryGetValue(property, out int inferred))
        {
            if (Has(property) && Int(property) is { } stated && stated != inferred)
            {
                Report(Descriptors.LayerDoesNotChain, Invariant($"[{Name}] {Input.Layer} states {property} = {stated}, but its input is {Input.Shape}, as {Input.Source} gives it, so {property} is {inferred}. Remove {property}, or make the layers agree."));
            }

            return inferred;
        }

        if (!Has(property))
        {
            Report(Descriptors.MissingProperty, Name, property);
            return null;
        }

        return Value(property);
    }

    /// <summary>
    /// A value given either for both axes (<paramref name="both"/>) or for one (<paramref name="axis"/>):
    /// the per-axis one wins only when the other is absent, and setting both is a conflict.
    /// </summary>
    public int? PerAxis(string both, string axis, int fallback, bool allowZero = false)
    {
        if (Has(both) && Has(axis))
        {
            Report(Descriptors.ConflictingProperties, Name, both, axis);
            return null;
        }

        string property = Has(axis) ? axis : both;
        if (Has(property) && Int(property) is null)
        {
            return null;
        }

        int value = Int(property) ?? fallback;
        return allowZero ? NonNegative(property, value) : Positive(property, value);
    }

    /// <summary>
    /// The zero padding on each side: <c>PaddingTop</c>, <c>PaddingBottom</c>, <c>PaddingLeft</c> and <c>PaddingRight</c>
    /// when set, else <c>PaddingHeight</c> / <c>PaddingWidth</c>, else <c>Padding</c>, else 0. With
    /// <paramref name="same"/> (<c>SamePadding</c>) none of them may be set, and all are 0 here.
    /// </summary>
    public (int? Top, int? Bottom, int? Left, int? Right) Paddings(bool same)
    {
        if (same)
        {
            foreach (string padding in PaddingProperties.Where(Has))
            {
                Report(Descriptors.ConflictingProperties, Name, "SamePadding", padding);
            }

            return (0, 0, 0, 0);
        }

        int? height = PerAxis("Padding", "PaddingHeight", 0, allowZero: true), width = PerAxis("Padding", "PaddingWidth", 0, allowZero: true);
        return (Side("PaddingTop", height), Side("PaddingBottom", height), Side("PaddingLeft", width), Side("PaddingRight", width));
    }

    private static readonly string[] PaddingProperties =
        ["Padding", "PaddingHeight", "PaddingWidth", "PaddingTop", "PaddingBottom", "PaddingLeft", "PaddingRight"];

    /// <summary>One side's padding: its own property when set (zero or positive), else the axis's.</summary>
    private int? Side(string property, int? axis) =>
        !Has(property) ? axis : Int(property) is { } value ? NonNegative(property, value) : null;

    /// <summary>An optional positive value, <paramref name="fallback"/> when not set.</summary>
    public int? Optional(string property, int fallback) => Has(property) ? Value(property) : fallback;

    /// <summary>The kernel size on one axis: <c>Kernel</c> or <c>KernelHeight</c>/<c>KernelWidth</c>, one of them required.</summary>
    public int? Kernel(string axis)
    {
        if (Has("Kernel") && Has(axis))
        {
            Report(Descriptors.ConflictingProperties, Name, "Kernel", axis);
            return null;
        }

        if (!Has("Kernel") && !Has(axis))
        {
            Report(Descriptors.MissingProperty, Name, "Kernel (or both KernelHeight and KernelWidth)");
            return null;
        }

        return Value(Has(axis) ? axis : "Kernel");
    }

    /// <summary>
    /// The <c>Activation</c> property and, for LeakyRelu, <c>LeakyReluSlope</c>: a defined value, or a diagnostic and null.
    /// A slope with another activation is a conflict; a slope that is not finite is invalid.
    /// </summary>
    public Model.ActivationSpec? Activation()
    {
        int value = Int("Activation") ?? 0;
        if (value is < 0 or > (int)Model.ActivationKind.Gelu)
        {
            Report(Descriptors.InvalidValue, Invariant($"[{Name}] Activation = {value} is not a defined Activation: use None, Relu, Sigmoid, Tanh, LeakyRelu, Relu6, HardSigmoid, HardSwish, Silu or Gelu."));
            return null;
        }

        var kind = (Model.ActivationKind)value;
        if (!Has("LeakyReluSlope"))
        {
            return new Model.ActivationSpec(kind);
        }

        if (kind != Model.ActivationKind.LeakyRelu)
        {
            Report(Descriptors.ConflictingProperties, Name, "LeakyReluSlope", Invariant($"Activation = {kind} (the slope is LeakyRelu's)"));
            return null;
        }

        float? slope = Float("LeakyReluSlope", 0.01f, float.MinValue, minimumAllowed: true, float.MaxValue, "a finite number (PyTorch's and ONNX's default is 0.01)");
        return slope is { } s ? new Model.ActivationSpec(kind, s) : null;
    }

    public void Report(DiagnosticDescriptor descriptor, params string[] arguments) =>
        Diagnostics.Add(DiagnosticInfo.Create(descriptor, Location, arguments));

    /// <summary>
    /// The positive value of a property that is set, or null. A value that is not a constant int (the
    /// compiler has already reported why) gives null without another diagnostic.
    /// </summary>
    private int? Value(string property) => Int(property) is { } value ? Positive(property, value) : null;

    private int? Positive(string property, int value)
    {
        if (value > 0)
        {
            return value;
        }

        Report(Descriptors.InvalidValue, Invariant($"[{Name}] {property} = {value}: it must be positive."));
        return null;
    }

    private int? NonNegative(string property, int value)
    {
        if (value >= 0)
        {
            return value;
        }

        Report(Descriptors.InvalidValue, Invariant($"[{Name}] {property} = {value}: it must be zero or positive."));
        return null;
    }
}

/// <summary>
/// The input a network layer gets from the layer before it: the sizes its attribute may leave out (by property
/// name) and how to describe them in a diagnostic.
/// </summary>
/// <param name="Layer">The layer's name, as its method is called.</param>
/// <param name="Shape">The input shape as text: <c>32×13×13</c> or <c>128 features</c>.</param>
/// <param name="Source">Where the input comes from: <c>the network's input</c>, <c>'Pool1'</c>.</param>
/// <param name="Sizes">The inferred sizes by property name (<c>InChannels</c>, <c>Height</c>, …).</param>
internal sealed record InferredInput(string Layer, string Shape, string Source, IReadOnlyDictionary<string, int> Sizes);
