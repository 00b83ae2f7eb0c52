namespace KernelGen.Tests;

/// <summary>Tests that count every byte the process allocates: they run alone, after the others (xunit's non-parallel collection).</summary>
[Xunit.CollectionDefinition(nameof(Alone), DisableParallelization = true)]
public sealed class Alone;
