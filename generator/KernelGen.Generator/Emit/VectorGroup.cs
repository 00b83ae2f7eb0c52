using System;
using System.Globalization;
using KernelGen.Generator.Model;
using KernelGen.Generator.Planning;

namespace KernelGen.Generator.Emit;

/// <summary>
/// The step of the element-wise kernels: a group of independent vectors computed first (their loads in flight together),
/// then stored, a vectorised activation fused into the stores.
/// </summary>
internal static class VectorGroup
{
    /// <summary>
    /// Declares <c>{name}0…</c> = <paramref name="value"/>(k) for each of <paramref name="vectors"/> vectors, then stores each
    /// to <paramref name="target"/> at <paramref name="offset"/>(k).
    /// </summary>
    public static void Write(
        CodeWriter w, SimdPath path, ActivationSpec activation, string name, int vectors, Func<int, string> value, string target, Func<int, string> offset)
    {
        for (int k = 0; k < vectors; k++)
        {
            w.Line($"{path.Type} {name}{k.ToString(CultureInfo.InvariantCulture)} = {value(k)};");
        }

        for (int k = 0; k < vectors; k++)
        {
            string vector = name + k.ToString(CultureInfo.InvariantCulture);
            w.Line(path.Store(activation.Vectorised ? ActivationText.Apply(path, activation, vector) : vector, target, offset(k)));
        }
    }
}
