using KernelGen.Generator.Diagnostics;

namespace KernelGen.Generator.Parsing;

/// <summary>Turns a problem the shared shape arithmetic finds into the diagnostic for it.</summary>
internal static class ShapeDiagnostics
{
    /// <summary>
    /// Checks a <c>channels × height × width</c> tensor as a global pool's input (its element count must fit a span), for
    /// the layers whose whole shape that is.
    /// </summary>
    public static void CheckPlanes(LayerAttribute attribute, int channels, int height, int width)
    {
        if (Pool2DGeometry.TryCreate(channels, height, width, height, width, 1, 1, 0, 0, out ShapeProblem problem) is null)
        {
            Report(attribute, problem);
        }
    }

    public static void Report(LayerAttribute attribute, ShapeProblem problem)
    {
        string input = attribute.Input is { } i ? $" In the network, {i.Layer}'s input is {i.Shape}, from {i.Source}." : "";
        switch (problem.Kind)
        {
            case ShapeProblemKind.KernelLargerThanInput:
                attribute.Report(Descriptors.KernelLargerThanInput, $"[{attribute.Name}] {problem.Message}{input} {(attribute.Name == "Conv2D" ? "Use a smaller kernel or dilation, or more padding." : "Use a smaller window.")}");
                break;
            case ShapeProblemKind.NotDivisibleByGroups:
                attribute.Report(Descriptors.ChannelsNotDivisibleByGroups, $"[{attribute.Name}] {problem.Message}{input} Use a Groups value that divides both.");
                break;
            case ShapeProblemKind.TooLarge:
                attribute.Report(Descriptors.ShapeTooLarge, $"[{attribute.Name}] {problem.Message}{input}");
                break;
            default:
                attribute.Report(Descriptors.InvalidValue, $"[{attribute.Name}] {problem.Message}{input}");
                break;
        }
    }
}
