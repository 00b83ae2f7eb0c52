using Microsoft.CodeAnalysis;

namespace KernelGen.Generator;

/// <summary>
/// Writes the bodies of methods that carry KernelGen's layer attributes.
/// </summary>
/// <remarks>
/// The pipeline (find the attributed methods, parse each to a value-equatable spec, plan, emit) is
/// the subject of its own issue; until it lands the generator registers no outputs. The project
/// already compiles the runtime's shape arithmetic as linked source, so the two cannot drift apart.
/// </remarks>
[Generator(LanguageNames.CSharp)]
public sealed class KernelGenerator : IIncrementalGenerator
{
    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
    }
}
