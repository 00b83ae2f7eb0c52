using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using KernelGen.Generator.Model;
using KernelGen.Generator.Planning;

namespace KernelGen.Generator.Emit;

/// <summary>
/// An activation as C#: on one float (the scalar path, and the loop that applies Sigmoid, Tanh, SiLU and GELU to stored
/// values), and on a vector, through a helper per width written into the file that uses it (<see cref="Helpers"/>).
/// </summary>
internal static class ActivationText
{
    /// <summary>The runtime's scalar functions (<c>KernelGen.ActivationFunctions</c>), by their file-local alias.</summary>
    public const string Functions = "KgActivations";

    /// <summary>The activation's name in the generated comments: "ReLU", else its attribute spelling ("Sigmoid", "LeakyRelu (slope 0.2)").</summary>
    public static string Name(ActivationSpec activation) => activation.Kind == ActivationKind.Relu ? "ReLU" : activation.ToString();

    /// <summary>The activation of one float <paramref name="value"/> (any expression: it is evaluated once).</summary>
    public static string Apply(ActivationSpec activation, string value) => activation.Kind switch
    {
        ActivationKind.None => value,
        ActivationKind.Relu => $"KgMathF.Max({value}, 0f)",
        ActivationKind.Sigmoid => $"1f / (1f + KgMathF.Exp(-{value}))",
        ActivationKind.Tanh => $"KgMathF.Tanh({value})",
        ActivationKind.LeakyRelu => $"{Functions}.LeakyRelu({value}, {activation.SlopeLiteral})",
        _ => $"{Functions}.{activation.Kind}({Strip(value)})",
    };

    /// <summary>
    /// The activation of a vector (or, on the scalar path, a float) held in the variable <paramref name="variable"/>, for
    /// the kinds that are <see cref="ActivationSpec.Vectorised"/>: ReLU inline, the others through this file's helper.
    /// </summary>
    public static string Apply(SimdPath path, ActivationSpec activation, string variable) =>
        path.IsScalar && activation.Kind != ActivationKind.Relu ? Apply(activation, variable)
        : activation.Kind switch
        {
            ActivationKind.None => variable,
            ActivationKind.Relu => path.MaxOrNaN(variable, path.Zero),
            ActivationKind.LeakyRelu => $"LeakyRelu({variable}, {activation.SlopeLiteral})",
            _ => $"{activation.Kind}({variable})",
        };

    /// <summary>
    /// The vector helpers that <paramref name="code"/> calls (<c>HardSwish(x)</c>, not <c>KgActivations.HardSwish(x)</c>),
    /// for each width it uses: each a one-line method the JIT inlines.
    /// </summary>
    public static IEnumerable<string> Helpers(string code, IEnumerable<SimdPath> paths)
    {
        ActivationKind[] used =
        [
            .. new[] { ActivationKind.LeakyRelu, ActivationKind.Relu6, ActivationKind.HardSigmoid, ActivationKind.HardSwish }
                .Where(k => Regex.IsMatch(code, $@"(?<![.\w]){k}\(")),
        ];
        if (used.Length == 0)
        {
            yield break;
        }

        foreach (SimdPath path in paths.Where(p => !p.IsScalar && code.Contains(p.Type)).GroupBy(p => p.Bits).Select(g => g.First()))
        {
            string type = path.Type, v = path.Static;
            foreach (ActivationKind kind in used)
            {
                yield return "";
                (string summary, string signature, string body) = kind switch
                {
                    ActivationKind.LeakyRelu => ("<c>x</c> where positive, else <c>slope · x</c>.", $"LeakyRelu({type} x, float slope)",
                        $"{v}.ConditionalSelect({v}.GreaterThan(x, {type}.Zero), x, x * slope)"),
                    ActivationKind.Relu6 => ("<c>min(max(0, x), 6)</c>.", $"Relu6({type} x)", $"{v}.Min({v}.Max(x, {type}.Zero), {v}.Create(6f))"),
                    ActivationKind.HardSigmoid => ("<c>relu6(x + 3) / 6</c>.", $"HardSigmoid({type} x)",
                        $"{v}.Min({v}.Max(x + {v}.Create(3f), {type}.Zero), {v}.Create(6f)) / {v}.Create(6f)"),
                    _ => ("<c>x · relu6(x + 3) / 6</c>, multiplied before it is divided, as PyTorch computes it.", $"HardSwish({type} x)",
                        $"x * {v}.Min({v}.Max(x + {v}.Create(3f), {type}.Zero), {v}.Create(6f)) / {v}.Create(6f)"),
                };
                yield return $"/// <summary>{summary}</summary>";
                yield return "[KgMethodImpl(KgImpl.AggressiveInlining)]";
                yield return $"private static {type} {signature} =>";
                yield return $"    {body};";
            }
        }
    }

    /// <summary>An argument without the parentheses that made it one term (a call's parentheses already do).</summary>
    private static string Strip(string value) =>
        value.Length > 1 && value[0] == '(' && value[value.Length - 1] == ')' && Balanced(value.Substring(1, value.Length - 2)) ? value.Substring(1, value.Length - 2) : value;

    private static bool Balanced(string text)
    {
        int depth = 0;
        foreach (char c in text)
        {
            depth += c == '(' ? 1 : c == ')' ? -1 : 0;
            if (depth < 0)
            {
                return false;
            }
        }

        return depth == 0;
    }
}
