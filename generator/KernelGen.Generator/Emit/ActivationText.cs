using KernelGen.Generator.Model;

namespace KernelGen.Generator.Emit;

/// <summary>An activation applied to one float, as C#.</summary>
internal static class ActivationText
{
    public static string Apply(ActivationKind activation, string value) => activation switch
    {
        ActivationKind.Relu => $"KgMathF.Max({value}, 0f)",
        ActivationKind.Sigmoid => $"1f / (1f + KgMathF.Exp(-{value}))",
        ActivationKind.Tanh => $"KgMathF.Tanh({value})",
        _ => value,
    };
}
