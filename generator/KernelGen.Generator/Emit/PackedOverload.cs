using System.Collections.Generic;
using System.Linq;
using KernelGen.Generator.Model;
using KernelGen.Generator.Planning;
using static KernelGen.Generator.Emit.KernelFile;

namespace KernelGen.Generator.Emit;

/// <summary>
/// What a kernel's packed form writes into the user's type, whatever the packing (a dense layer's panels, a
/// convolution's Winograd transform): the <c>{Method}PackWeights</c> method, the packed overload's parameters and its
/// argument checks.
/// </summary>
internal static class PackedOverload
{
    /// <summary>The modifiers of the user's method without <c>partial</c>: those of the members written beside it.</summary>
    public static string Access(MethodTarget m) => string.Join(" ", m.Modifiers.Split(' ').Where(t => t is not ("partial" or "")));

    /// <summary>
    /// <c>{Method}PackWeights(weights)</c>: the weights' length checked, then <c>{kernel}.{pack}</c> fills a
    /// <c>PackedWeights</c> of <paramref name="length"/> floats named by <c>{kernel}.{layout}</c>.
    /// </summary>
    public static void WritePackMethod(CodeWriter w, MethodTarget m, string kernel, string summary, int weightLength, long length, string layout, string pack)
    {
        string weights = m.Parameters[1];
        w.Line();
        w.Line($"/// <summary>{summary}</summary>");
        w.Line("/// <remarks>Pack once, when the weights are loaded or changed; the result is a copy and is never written again.</remarks>");
        w.Line(GeneratedCode);
        using (w.Block($"{Access(m)} global::KernelGen.PackedWeights {m.Name}PackWeights(global::System.ReadOnlySpan<float> {weights})"))
        {
            w.Line(Invariant($"{Arguments}.Length({weights}.Length, {weightLength}, nameof({weights}));"));
            w.Line(Invariant($"var packed = new global::KernelGen.PackedWeights({kernel}.{layout}, {length});"));
            w.Line($"{kernel}.{pack}({weights}, packed.Values);");
            w.Line("return packed;");
        }
    }

    /// <summary>The packed overload's parameters: the user's, with the weights a <c>PackedWeights</c>.</summary>
    public static string Parameters(MethodTarget m) => string.Join(", ", m.Parameters.Select((name, i) =>
        i == 1 ? $"global::KernelGen.PackedWeights {name}"
        : m.HasBatch && i == m.Parameters.Count - 1 ? $"int {name}"
        : name == m.Output ? $"global::System.Span<float> {name}"
        : $"global::System.ReadOnlySpan<float> {name}"));

    /// <summary>
    /// The packed overload's checks, before anything is written: the batch, the input's and output's lengths per sample,
    /// the packed weights' layout and length, the bias's length.
    /// </summary>
    public static void WriteChecks(CodeWriter w, MethodTarget m, int inputLength, int outputLength, int biasLength, string kernel, string layout, long length)
    {
        string Length(string span, int perSample) => m.HasBatch
            ? Invariant($"{Arguments}.Length({span}.Length, {m.Batch}, {perSample}, nameof({span}));")
            : Invariant($"{Arguments}.Length({span}.Length, {perSample}, nameof({span}));");

        w.Line("// Every argument is checked before anything is written.");
        if (m.HasBatch)
        {
            w.Line($"{Arguments}.Batch({m.Batch});");
        }

        w.Line(Length(m.Input, inputLength));
        w.Line(Invariant($"{Arguments}.Packed({m.Parameters[1]}, {kernel}.{layout}, {length}, nameof({m.Parameters[1]}));"));
        if (m.HasBias)
        {
            w.Line(Invariant($"{Arguments}.Length({m.Parameters[2]}.Length, {biasLength}, nameof({m.Parameters[2]}));"));
        }

        w.Line(Length(m.Output, outputLength));
    }

    /// <summary>
    /// A convolution's packed overloads (Winograd's, or the packed direct one): <c>{Method}(input, PackedWeights, …)</c>,
    /// which checks every argument and calls <c>{kernel}.{run}</c>, and the same with a <c>Parallelism</c>, which splits
    /// the call's <c>{kernel}.{units}</c> units among threads through <c>{kernel}.{part}</c>. Named <paramref name="name"/>
    /// if given, else as the user's method; its output has <paramref name="outputLength"/> floats per sample if given, else the convolution's.
    /// </summary>
    public static void WriteConvOverloads(CodeWriter w, MethodTarget m, Conv2DGeometry g, string kernel, string layout, long length,
        (string Run, string Part, string Units) members, string summary, string threadedSummary, string? name = null, int? outputLength = null)
    {
        m = m with { Name = name ?? m.Name };
        int output = outputLength ?? g.OutputLength;
        string weights = m.Parameters[1], access = Access(m), parameters = Parameters(m);
        string bias = m.HasBias ? m.Parameters[2] : "default";
        w.Line();
        w.Line($"/// <summary>{summary}</summary>");
        w.Line(GeneratedCode);
        using (w.Block($"{access} void {m.Name}({parameters})"))
        {
            WriteChecks(w, m, g.InputLength, output, g.OutChannels, kernel, layout, length);
            w.Line($"{kernel}.{members.Run}({m.Input}, {weights}.Values, {(m.HasBias ? bias + ", " : "")}{m.Output}, {m.Batch});");
        }

        w.Line();
        w.Line($"/// <summary>{threadedSummary}</summary>");
        w.Line(GeneratedCode);
        using (w.Block($"{access} void {m.Name}({parameters}, global::KernelGen.Parallelism parallelism)"))
        {
            WriteChecks(w, m, g.InputLength, output, g.OutChannels, kernel, layout, length);
            w.Line(Invariant($"global::KernelGen.KernelParts.Run({kernel}.{members.Part}, {m.Input}, {g.InputLength}, {weights}.Values, {bias}, {m.Output}, {output}, {m.Batch}, {kernel}.{members.Units}, parallelism);"));
        }
    }

    /// <summary>
    /// The kernel class's side of <see cref="WriteConvOverloads"/>: <c>{run}(spans…, batch)</c>, which dispatches to each
    /// path's <c>{Path}{suffix}</c> on all <c>{units}</c> units, and <c>{part}(refs…, batch, from, to)</c>, one part of a split call.
    /// </summary>
    public static void WriteRunAndPart(CodeWriter w, IEnumerable<SimdPath> paths, bool bias, (string Run, string Part, string Units) members, string suffix, string partSummary)
    {
        string[] roles = bias ? ["input", "weights", "bias", "output"] : ["input", "weights", "output"];
        using (w.Block($"public static void {members.Run}({string.Join(", ", roles.Select(r => $"{(r == "output" ? "KgSpan" : "KgReadOnlySpan")} {r}").Append("int batch"))})"))
        {
            w.Line($"ref float {string.Join(", ", roles.Select(r => $"{r[0]} = ref {MemoryMarshal}.GetReference({r})"))};");
            string arguments = string.Join(", ", roles.Select(r => $"ref {r[0]}").Append("batch"));
            WriteDispatch(w, paths, path => $"{path.Name}{suffix}({arguments}, 0, {members.Units});");
        }

        w.Line();
        w.Line($"/// <summary>{partSummary}</summary>");
        using (w.Block($"public static void {members.Part}(ref float input, ref float weights, ref float bias, ref float output, int batch, int from, int to)"))
        {
            string arguments = string.Join(", ", roles.Select(r => $"ref {r}").Append("batch").Append("from").Append("to"));
            WriteDispatch(w, paths, path => $"{path.Name}{suffix}({arguments});");
        }
    }

    /// <summary>The parameter types of the plain overload, as a cref writes them.</summary>
    public static string Cref(MethodTarget m) => string.Join(", ", m.Parameters.Select((_, i) =>
        m.HasBatch && i == m.Parameters.Count - 1 ? "int"
        : m.Parameters[i] == m.Output ? "global::System.Span{float}"
        : "global::System.ReadOnlySpan{float}"));
}
