using System;
using System.Globalization;

namespace KernelGen.Onnx;

/// <summary>Text the importer writes — code and messages — the same in every culture.</summary>
internal static class OnnxFormat
{
    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>A float as C# source: <c>1E-05f</c>, round-tripping exactly.</summary>
    public static string Float(float value) => value.ToString("R", CultureInfo.InvariantCulture) + "f";
}
