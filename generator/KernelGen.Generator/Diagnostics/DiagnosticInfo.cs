using System.Linq;
using KernelGen.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace KernelGen.Generator.Diagnostics;

/// <summary>Where a diagnostic goes, as plain values (a <see cref="Location"/> would keep the syntax tree alive in the cache).</summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);

    public static LocationInfo? From(Location? location) =>
        location is null || location.Kind == LocationKind.None ? null : new LocationInfo(location.GetLineSpan().Path, location.SourceSpan, location.GetLineSpan().Span);
}

/// <summary>A diagnostic to report, as plain values: the descriptor's ID, where, and the message arguments.</summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, Location? location, params string[] arguments) =>
        new(descriptor.Id, LocationInfo.From(location), arguments.ToEquatableArray());

    public Diagnostic ToDiagnostic() =>
        Diagnostic.Create(Descriptors.ById(Id), Location?.ToLocation(), Arguments.Cast<object>().ToArray());
}
