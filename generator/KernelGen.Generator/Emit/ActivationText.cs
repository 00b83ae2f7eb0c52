using KernelGen.Generator.Model;

namespace KernelGen.Generator.Emit;

/// <summary>An activation applied to one float, as C#.</summary>
internal static class ActivationText
{
    public static string Apply(ActivationKind activation, string value) => activation switch
    {
        ActivationKind.Relu => $"global::System.MathF.Max({value}, 0f)",
        ActivationKind.Sigmoid => $"1f / (1f + global::System.MathF.Exp(-{value}))",
        ActivationKind.Tanh => $"global::System.MathF.Tanh({value})",
        _ => value,
    };
}
