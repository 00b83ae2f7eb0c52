using System.Runtime.Intrinsics;

namespace KernelGen.Tests;

/// <summary>
/// Which hardware path the dispatch takes here. CI runs the equivalence suites once per path, selecting it with the
/// runtime's variables (<c>DOTNET_EnableAVX512=0</c> and so on) and naming it in <c>KERNELGEN_EXPECTED_PATH</c>: this
/// test fails a run whose variables did not select that path — as <c>DOTNET_EnableAVX512F=0</c>, which .NET 10 no
/// longer reads, once silently did.
/// </summary>
public class HardwarePathTests
{
    [Fact]
    public void The_dispatch_takes_the_path_this_run_expects()
    {
        string taken = Vector512.IsHardwareAccelerated ? "Vector512"
            : Vector256.IsHardwareAccelerated ? "Vector256"
            : Vector128.IsHardwareAccelerated ? "Vector128"
            : "Scalar";
        string? expected = Environment.GetEnvironmentVariable("KERNELGEN_EXPECTED_PATH");
        if (expected is not null)
        {
            Assert.Equal(expected, taken);
        }

        // Each width accelerated implies the narrower ones are: the dispatch relies on that order.
        Assert.True(!Vector512.IsHardwareAccelerated || Vector256.IsHardwareAccelerated);
        Assert.True(!Vector256.IsHardwareAccelerated || Vector128.IsHardwareAccelerated);
    }
}
