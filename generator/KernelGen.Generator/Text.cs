global using static KernelGen.Generator.Text;

using System;
using System.Globalization;

namespace KernelGen.Generator;

/// <summary>Text the generator writes — code and diagnostics — which reads the same in every culture.</summary>
internal static class Text
{
    /// <summary>The interpolated string formatted in the invariant culture (<c>1.5</c>, never <c>1,5</c>).</summary>
    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
