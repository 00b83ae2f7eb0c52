using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using KernelGen.Generator.Model;
using KernelGen.Generator.Planning;

namespace KernelGen.Generator.Emit;

/// <summary>
/// What every generated kernel file shares: the header, the namespace and containing types, the
/// method's declaration with its argument checks, the dispatch to the hardware paths, and the
/// file-local class that holds the paths.
/// </summary>
internal static class KernelFile
{
    public const string Unsafe = "KgUnsafe";
    public const string MemoryMarshal = "KgMarshal";
    public const string Arguments = "global::KernelGen.KernelArguments";
    public const string AggressiveOptimization = "[KgMethodImpl(KgImpl.AggressiveOptimization)]";
    public const string MathClass = "KgMath";

    private static readonly string Version = typeof(KernelFile).Assembly.GetName().Version?.ToString() ?? "1.0.0.0";

    /// <summary>The <c>[GeneratedCode]</c> attribute every generated member carries.</summary>
    public static string GeneratedCode => $"[global::System.CodeDom.Compiler.GeneratedCode(\"KernelGen.Generator\", \"{Version}\")]";

    /// <summary>
    /// A span the kernel takes: its parameter, how many floats it holds per sample (or in all, when not per sample), and
    /// its name inside the kernel class (by default from its position: input, [weights, [bias,]] output).
    /// </summary>
    public sealed record SpanArgument(string Parameter, int Length, bool PerSample, string? Role = null);

    /// <summary>
    /// A kernel whose work splits across threads: its path methods take <c>int from, int to</c> after the batch and do
    /// only those of a sample's <see cref="Units"/> units (<see cref="What"/>, plural, for the documentation).
    /// </summary>
    public sealed record Parts(int Units, string What)
    {
        /// <summary>A path method's summary: the units it does, with <paramref name="how"/> (", as …") after them.</summary>
        public string PathSummary(string how = "") =>
            Invariant($"/// <summary>{char.ToUpperInvariant(What[0])}{What.Substring(1)} <paramref name=\"from\"/> .. <paramref name=\"to\"/> − 1 of every sample{how}; a whole call does all {Units}.</summary>");
    }

    /// <summary>
    /// Writes the whole file: <paramref name="summary"/> and <paramref name="remarks"/> document the method;
    /// <paramref name="writeKernel"/> writes the members of the file-local kernel class, whose path methods take
    /// <c>(ref float</c> for each span in order<c>, int batch)</c>. The partial method checks the arguments and calls
    /// the class's <c>Run</c>, which dispatches to the paths. <paramref name="writeMembers"/>, when given, writes more
    /// members into the user's type after the method; it gets the kernel class's name. With <paramref name="parts"/>,
    /// the paths also take the range of units to do, and an overload taking a <c>Parallelism</c> splits a call among threads.
    /// </summary>
    public static string Write(MethodTarget method, string summary, IEnumerable<string> remarks, IReadOnlyList<SpanArgument> spans, IEnumerable<SimdPath> paths, Action<CodeWriter> writeKernel,
        Action<CodeWriter, string>? writeMembers = null, Parts? parts = null)
    {
        var w = new CodeWriter();
        string kernel = KernelClass(method);
        using (Namespace(w, method.Namespace, method.Types))
        {
            w.Line($"/// <summary>{summary}</summary>");
            w.Line("/// <remarks>");
            foreach (string remark in remarks)
            {
                w.Line($"/// <para>{remark}</para>");
            }

            w.Line("/// </remarks>");
            w.Line(GeneratedCode);
            string parameters = string.Join(", ", method.Parameters.Select((name, i) => $"{ParameterType(method, spans, i)} {name}"));
            using (w.Block($"{method.Modifiers} void {method.Name}({parameters})"))
            {
                WriteChecks(w, method, spans);
                w.Line($"{kernel}.Run({string.Join(", ", spans.Select(s => s.Parameter).Append(method.Batch))});");
            }

            if (parts is not null)
            {
                WriteParallelOverload(w, method, spans, parameters, kernel, parts);
            }

            writeMembers?.Invoke(w, kernel);
        }

        w.Line();
        w.Line($"/// <summary>The hardware paths of <c>{method.Name}</c>, each specialised to its shape; <c>Run</c> takes the widest the JIT accelerates.</summary>");
        using (w.Block($"file static class {kernel}"))
        {
            string[] roles = [.. spans.Select((s, i) => s.Role ?? Roles(spans.Count)[i])];
            string runParameters = string.Join(", ", roles.Select(r => $"{(r == "output" ? "KgSpan" : "KgReadOnlySpan")} {r}").Append("int batch"));
            using (w.Block($"public static void Run({runParameters})"))
            {
                // Each span's first element, named by the span's initial (a one-letter span's name gets a 0), or by its first
                // two letters where two spans share an initial.
                string Local(string role) => role.Length == 1 ? role + "0"
                    : roles.Count(r => r[0] == role[0]) > 1 ? role.Substring(0, 2) : role.Substring(0, 1);
                w.Line($"ref float {string.Join(", ", roles.Select(r => $"{Local(r)} = ref {MemoryMarshal}.GetReference({r})"))};");
                string arguments = string.Join(", ", roles.Select(r => $"ref {Local(r)}").Append("batch"));
                WriteDispatch(w, paths, path => parts is null ? $"{path.Name}({arguments});" : $"{path.Name}({arguments}, 0, Units);");
            }

            w.Line();
            if (parts is not null)
            {
                WritePart(w, roles, paths, parts);
            }

            writeKernel(w);
            WriteHelpers(w, paths);
        }

        return WithHeader(w.ToString(), "Edit the attribute, not this file.");
    }

    /// <summary>The batch and every span's length, checked before anything is written.</summary>
    private static void WriteChecks(CodeWriter w, MethodTarget method, IReadOnlyList<SpanArgument> spans)
    {
        w.Line("// Every length is checked before anything is written.");
        if (method.HasBatch)
        {
            w.Line($"{Arguments}.Batch({method.Batch});");
        }

        foreach (SpanArgument span in spans)
        {
            w.Line(span.PerSample && method.HasBatch
                ? Invariant($"{Arguments}.Length({span.Parameter}.Length, {method.Batch}, {span.Length}, nameof({span.Parameter}));")
                : Invariant($"{Arguments}.Length({span.Parameter}.Length, {span.Length}, nameof({span.Parameter}));"));
        }
    }

    /// <summary>The overload that takes a <c>Parallelism</c> after the method's own parameters and splits the call among threads.</summary>
    private static void WriteParallelOverload(CodeWriter w, MethodTarget method, IReadOnlyList<SpanArgument> spans, string parameters, string kernel, Parts parts)
    {
        string modifiers = string.Join(" ", method.Modifiers.Split(' ').Where(m => m != "partial"));
        string split = method.HasBatch ? Invariant($"the samples of the batch, or each sample's {parts.Units} {parts.What},") : Invariant($"its {parts.Units} {parts.What}");
        w.Line();
        w.Line($"/// <summary>");
        w.Line($"/// <c>{method.Name}</c> on up to <paramref name=\"parallelism\"/>'s threads: {split} split among them; the output is bit-identical to one thread's, and the same checks come first. With one thread it is the other overload.");
        w.Line($"/// </summary>");
        w.Line(GeneratedCode);
        using (w.Block($"{modifiers} void {method.Name}({parameters}, global::KernelGen.Parallelism parallelism)"))
        {
            WriteChecks(w, method, spans);
            SpanArgument input = spans[0], output = spans[spans.Count - 1];
            string weights = spans.Count > 2 ? spans[1].Parameter : "default", bias = spans.Count > 3 ? spans[2].Parameter : "default";
            w.Line(Invariant($"global::KernelGen.KernelParts.Run({kernel}.Part, {input.Parameter}, {input.Length}, {weights}, {bias}, {output.Parameter}, {output.Length}, {method.Batch}, {kernel}.Units, parallelism);"));
        }
    }

    /// <summary>The kernel class's <c>Units</c> and <c>Part</c>, which runs one part of a split call on the widest path.</summary>
    private static void WritePart(CodeWriter w, string[] roles, IEnumerable<SimdPath> paths, Parts parts)
    {
        w.Line(Invariant($"/// <summary>A sample's work splits into its {parts.Units} {parts.What} when a call runs on several threads.</summary>"));
        w.Line(Invariant($"public const int Units = {parts.Units};"));
        w.Line();
        w.Line($"/// <summary>One part of a split call: every sample, {parts.What} <paramref name=\"from\"/> .. <paramref name=\"to\"/> − 1.</summary>");
        using (w.Block("public static void Part(ref float input, ref float weights, ref float bias, ref float output, int batch, int from, int to)"))
        {
            string arguments = string.Join(", ", roles.Select(r => $"ref {r}").Append("batch").Append("from").Append("to"));
            WriteDispatch(w, paths, path => $"{path.Name}({arguments});");
        }

        w.Line();
    }

    /// <summary>
    /// <c>if (widest path's condition) … else if … else scalar</c>: one statement per path from <paramref name="call"/>.
    /// A path whose condition an earlier one already covers (the ARM64 Vector128 path before the x64 one) still gets its branch.
    /// </summary>
    public static void WriteDispatch(CodeWriter w, IEnumerable<SimdPath> paths, Func<SimdPath, string> call)
    {
        bool first = true;
        foreach (SimdPath path in paths)
        {
            using (w.Block(path.IsScalar ? "else" : $"{(first ? "if" : "else if")} ({path.Condition})"))
            {
                w.Line(call(path));
            }

            first = false;
        }
    }

    /// <summary>
    /// The helpers the kernel class's code calls — <c>Fma</c>, <c>Sum4</c> and the vector activations for each width — written once, after
    /// everything that uses them.
    /// </summary>
    public static void WriteHelpers(CodeWriter w, IEnumerable<SimdPath> paths)
    {
        string code = w.ToString();
        if (code.Contains(SimdPath.MultiplyAddName + "("))
        {
            foreach (SimdPath path in paths.Where(p => !p.IsScalar && code.Contains(p.Type)).GroupBy(p => p.Bits).Select(g => g.First()))
            {
                w.Line();
                foreach (string line in path.MultiplyAddHelper)
                {
                    w.Line(line);
                }
            }
        }

        if (code.Contains(SimdPath.SumOfFourName + "("))
        {
            foreach (string line in SimdPath.SumOfFourHelpers(paths.Where(p => code.Contains(p.Type)).Max(p => p.Bits)))
            {
                w.Line(line);
            }
        }

        foreach (string line in ActivationText.Helpers(code, paths))
        {
            w.Line(line);
        }
    }

    /// <summary>
    /// Opens the namespace and the containing types (<c>partial class …</c>); disposing closes them. The namespace is
    /// file-scoped, so only the types' braces close.
    /// </summary>
    public static IDisposable Namespace(CodeWriter w, string ns, IReadOnlyList<ContainingType> types, Func<ContainingType, bool, string>? declaration = null)
    {
        if (ns.Length > 0)
        {
            w.Line($"namespace {ns};");
            w.Line();
        }

        var scopes = new Stack<CodeWriter.Scope>();
        for (int i = 0; i < types.Count; i++)
        {
            bool innermost = i == types.Count - 1;
            scopes.Push(w.Block(declaration?.Invoke(types[i], innermost) ?? $"partial {types[i].Keyword} {types[i].Name}"));
        }

        return new Closer(scopes);
    }

    /// <summary>The file's header — auto-generated marker, nullable context, the aliases the code uses — before <paramref name="code"/>.</summary>
    public static string WithHeader(string code, string edit)
    {
        var header = new System.Text.StringBuilder();
        header.Append("// <auto-generated/>\n");
        header.Append("// Written by KernelGen at compile time. ").Append(edit).Append('\n');
        header.Append("#nullable enable\n");
        if (code.Contains(DirectTile.Class) || code.Contains(DirectTile.ShapeName))
        {
            // Each assembly has its own internal KernelGen.Generated.DirectTiles: where another's internals are visible
            // too, this assembly's is meant, as the compiler takes it, without its warning.
            header.Append("#pragma warning disable CS0436\n");
        }

        header.Append('\n');
        bool any = false;
        foreach (string alias in Aliases.For(code))
        {
            header.Append(alias).Append('\n');
            any = true;
        }

        if (any)
        {
            header.Append('\n');
        }

        return header.Append(code).ToString();
    }

    private sealed class Closer(Stack<CodeWriter.Scope> scopes) : IDisposable
    {
        public void Dispose()
        {
            while (scopes.Count > 0)
            {
                scopes.Pop().Dispose();
            }
        }
    }

    /// <summary>The path method's parameter list for the given spans: <c>ref float input, …, int batch</c>.</summary>
    public static string PathParameters(IEnumerable<string> spans) => string.Join(", ", spans.Select(s => $"ref float {s}").Append("int batch"));

    /// <summary><see cref="PathParameters"/> and the range of units a part does: <c>…, int batch, int from, int to</c>.</summary>
    public static string PartPathParameters(IEnumerable<string> spans) => PathParameters(spans) + ", int from, int to";

    /// <summary><c>expression + constant</c> as C#, written without a redundant <c>+ 0</c> or <c>+ -k</c>.</summary>
    public static string Plus(string expression, int constant) =>
        constant == 0 ? expression : constant > 0 ? Invariant($"{expression} + {constant}") : Invariant($"{expression} - {-constant}");

    /// <summary>A reference <paramref name="offset"/> floats past <paramref name="reference"/>, as a <c>ref</c> argument.</summary>
    public static string RefAt(string reference, int offset) =>
        offset == 0 ? $"ref {reference}" : Invariant($"ref {Unsafe}.Add(ref {reference}, {offset})");

    /// <summary><c>Unsafe.Add(ref reference, offset)</c> as C#: the element <paramref name="offset"/> floats on, or the reference itself at 0.</summary>
    public static string At(string reference, string offset) => offset == "0" ? reference : $"{Unsafe}.Add(ref {reference}, {offset})";

    /// <summary>
    /// <c>constant + Σ variable × factor</c> as C#, folded: terms whose variable is null or a literal are added into the
    /// constant, factors of 1 and zero terms are dropped, and products are parenthesised only beside other terms.
    /// </summary>
    public static string Offset(long constant, params (string? Variable, long Factor)[] terms)
    {
        var parts = new List<string>();
        foreach ((string? variable, long factor) in terms)
        {
            if (variable is null || factor == 0)
            {
                continue;
            }

            if (long.TryParse(variable, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long literal))
            {
                constant += literal * factor;
                continue;
            }

            parts.Add(factor == 1 ? variable : Invariant($"{variable} * {factor}"));
        }

        if (parts.Count == 0)
        {
            return Invariant($"{constant}");
        }

        string sum = parts.Count == 1 ? parts[0] : string.Join(" + ", parts.Select(p => p.Contains(" ") ? $"({p})" : p));
        return constant == 0 ? sum
            : parts.Count == 1 && sum.Contains(" ") ? Plus($"({sum})", (int)constant)
            : Plus(sum, (int)constant);
    }

    public static string Number(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>The spans' names inside the kernel class, whatever the user called them: input, [weights, [bias,]] output.</summary>
    private static string[] Roles(int spans) => spans switch
    {
        2 => ["input", "output"],
        3 => ["input", "weights", "output"],
        _ => ["input", "weights", "bias", "output"],
    };

    private static string KernelClass(MethodTarget method) => $"{string.Concat(method.Types.Select(t => t.Name))}{method.Name}Kernel".Replace("@", "");

    private static string ParameterType(MethodTarget method, IReadOnlyList<SpanArgument> spans, int index) =>
        method.HasBatch && index == method.Parameters.Count - 1 ? "int"
        : spans[index].Parameter == method.Output ? "global::System.Span<float>"
        : "global::System.ReadOnlySpan<float>";
}
