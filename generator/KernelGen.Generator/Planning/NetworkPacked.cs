using System.Linq;
using KernelGen.Generator.Model;

namespace KernelGen.Generator.Planning;

/// <summary>
/// Which layers of a network run a packed form at inference — convolutions by Winograd or packed direct, as
/// <see cref="Planned"/> chooses, and dense layers by their packed product — with their packed weights kept in the
/// workspace. With <c>FixedWeights</c> set every such layer runs packed, its weights packed again only when a parameter's
/// version moves; without it only the Winograd layers with large planes do (<see cref="Compared"/>), whose weights are
/// compared with a copy on each call.
/// </summary>
internal static class NetworkPacked
{
    /// <summary>
    /// The convolution inference runs for <paramref name="layer"/> if it has a packed form (as <see cref="Planned"/>
    /// plans it): a batch norm's folded convolution, or a convolution's own unless a batch norm folds it away; null otherwise.
    /// </summary>
    public static ConvSpec? Inference(NetworkSpec spec, NetworkLayer layer)
    {
        ConvSpec? conv = layer.Folded ?? (layer.Spec is ConvSpec own && !FoldedAway(spec, layer) ? own : null);
        return conv is not null && Planned(conv) is { Algorithm: not ConvAlgorithmChoice.Direct } planned ? planned : null;
    }

    /// <summary>
    /// A network's inference kernel for <paramref name="conv"/>: Winograd F(4×4) where Auto would give it to the layer
    /// standing alone (or where asked for) — compared on every call on planes of at least <see cref="MinimumPixels"/>
    /// (<see cref="Compared"/>), with <c>FixedWeights</c> only on smaller ones; else Winograd F(2×2) where it pays on a small
    /// plane (<see cref="WinogradPlan.PaysSmall"/>: ResNet-18's 7×7 layers); else the packed direct form where it pays as
    /// it would stand alone (<see cref="PackedDirectPlan"/>); else direct. A convolution a max pool fuses into
    /// (<see cref="ConvSpec.MaxPool"/>) runs the packed direct form's pooled overload. Until the transformed weights were kept in
    /// chunks of output channels, F(4×4) did not pay on small planes even with fixed weights (ResNet-18's 14×14 layers
    /// 0.15–0.2 ms slower each than the packed direct form); chunked, the 256-channel one runs 0.74 ms against 1.21 with
    /// its weights read from memory.
    /// </summary>
    public static ConvSpec Planned(ConvSpec conv) =>
        conv.MaxPool > 0 ? conv with { Algorithm = ConvAlgorithmChoice.PackedDirect }
        : conv.Algorithm is ConvAlgorithmChoice.Direct or ConvAlgorithmChoice.PackedDirect or ConvAlgorithmChoice.Winograd2x2
            || WinogradPlan.For(conv, legacyIntrinsics: false) is not null ? conv
        : WinogradPlan.PaysSmall(conv) ? conv with { Algorithm = ConvAlgorithmChoice.Winograd2x2 }
        : PackedDirectPlan.For(conv with { Algorithm = ConvAlgorithmChoice.Auto }, legacyIntrinsics: false, winograd: false) is not null
            ? conv with { Algorithm = ConvAlgorithmChoice.PackedDirect }
            : conv with { Algorithm = ConvAlgorithmChoice.Direct };

    /// <summary>
    /// Whether the workspace keeps packed weights for <paramref name="layer"/>: a convolution with a packed form
    /// (<see cref="Inference"/>), or a dense layer (whose packed overload exists when its padded weights fit one array).
    /// </summary>
    public static bool Keeps(NetworkSpec spec, NetworkLayer layer) =>
        Inference(spec, layer) is not null || (layer.Spec is DenseSpec dense && DensePacking.Length(dense) <= int.MaxValue);

    /// <summary>Whether a batch norm folds <paramref name="layer"/> into its own inference kernel, so that the layer's kernel runs only in training.</summary>
    public static bool FoldedAway(NetworkSpec spec, NetworkLayer layer)
    {
        int index = spec.Layers.ToList().IndexOf(layer);
        return spec.Layers.Any(l => l.Folded is not null && l.Inputs[0] == index);
    }

    /// <summary>The name of the workspace's cache of a layer's packed weights.</summary>
    public static string Cache(NetworkLayer layer) => layer.Name + "Packed";

    /// <summary>
    /// Whether the layer runs packed without <c>FixedWeights</c> too: a Winograd convolution whose output plane has at
    /// least <see cref="MinimumPixels"/> pixels, where comparing the weights on each call costs less than Winograd saves.
    /// </summary>
    public static bool Compared(ConvSpec conv) =>
        WinogradPlan.For(conv, legacyIntrinsics: false) is { Tile: 4 }
        && (conv.Algorithm == ConvAlgorithmChoice.Winograd || conv.Geometry.OutputHeight * conv.Geometry.OutputWidth >= MinimumPixels);

    /// <summary>
    /// The packed weights a call of <paramref name="kernel"/> passes: the workspace's, packed again from <paramref name="weights"/> when the
    /// parameters' <paramref name="version"/> moved (<c>FixedWeights</c>), or when the weights compare unequal to those it
    /// holds (<paramref name="version"/> null).
    /// </summary>
    public static string Weights(NetworkLayer layer, MethodTarget kernel, string weights, string? version) =>
        $"buffers.{Cache(layer)}.For({weights}, {kernel.Name}PackWeights{(version is null ? "" : ", " + version)})";

    /// <summary>
    /// The fewest output pixels per plane for which a network's convolution runs Winograd without <c>FixedWeights</c>.
    /// A network reads every layer's weights from memory once per <c>Forward</c>, and the transformed weights are four
    /// times the weights, compared against a copy each call besides: on ResNet-18's 14×14 layers (256 channels, 2.4 MB of
    /// weights) that traffic cost what the products saved (measured: the whole network 1.6 ms faster with them Winograd,
    /// where the layers alone promised 5.7 ms), on its 28- and 56-pixel layers far less.
    /// </summary>
    public const int MinimumPixels = 400;
}
