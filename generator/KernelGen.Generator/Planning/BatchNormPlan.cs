using System.Linq;
using KernelGen.Generator.Model;

namespace KernelGen.Generator.Planning;

/// <summary>A <c>[BatchNorm2D]</c>'s plan: every path, each normalising <see cref="Unroll"/> vectors of a plane per step.</summary>
internal sealed record BatchNormPlan(BatchNormSpec Spec, EquatableArray<SimdPath> Paths) : IPlan
{
    /// <summary>Vectors per step of the main loop: independent loads and stores in flight.</summary>
    public const int Unroll = 4;

    public MethodTarget Method => Spec.Method;

    public static BatchNormPlan Plan(BatchNormSpec spec, bool legacyIntrinsics) => new(spec, SimdPath.All(legacyIntrinsics).ToEquatableArray());
}
