using System.Linq;
using KernelGen.Generator.Model;

namespace KernelGen.Generator.Planning;

/// <summary>An <c>[Add]</c>'s plan: every path, each adding <see cref="Unroll"/> vectors per step.</summary>
internal sealed record AddPlan(AddSpec Spec, EquatableArray<SimdPath> Paths) : IPlan
{
    /// <summary>Vectors added per step of the main loop: independent loads and stores in flight.</summary>
    public const int Unroll = 4;

    public MethodTarget Method => Spec.Method;

    public static AddPlan Plan(AddSpec spec, bool legacyIntrinsics) => new(spec, SimdPath.All(legacyIntrinsics).ToEquatableArray());
}
