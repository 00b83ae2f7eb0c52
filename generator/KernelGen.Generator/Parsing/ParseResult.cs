using KernelGen.Generator.Diagnostics;
using KernelGen.Generator.Model;

namespace KernelGen.Generator.Parsing;

/// <summary>What parsing one attributed method gives: a spec to emit (none when it has errors) and the diagnostics to report.</summary>
internal sealed record ParseResult<TSpec>(TSpec? Spec, EquatableArray<DiagnosticInfo> Diagnostics)
    where TSpec : class
{
    /// <summary>A result with each diagnostic once (a property read for both axes may report twice), and no spec when there are any.</summary>
    public static ParseResult<TSpec> Of(TSpec? spec, System.Collections.Generic.IEnumerable<DiagnosticInfo> diagnostics)
    {
        EquatableArray<DiagnosticInfo> distinct = System.Linq.Enumerable.Distinct(diagnostics).ToEquatableArray();
        return new ParseResult<TSpec>(distinct.Count > 0 ? null : spec, distinct);
    }
}
