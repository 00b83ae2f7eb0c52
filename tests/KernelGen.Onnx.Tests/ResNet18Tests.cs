using System.Reflection;
using KernelGen.Training;

namespace KernelGen.Onnx.Tests;

/// <summary>
/// The pretrained ResNet-18 that ML.NET ships (NuGet <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> 0.23.1: ImageNet
/// weights exported by CNTK 2.6 at opset 8, IR 3, with an asymmetrically padded 7×7 stem), restored as a package by this
/// project: imported, compiled, and run on MNIST digits scaled to 3×224×224 beside ONNX Runtime.
/// </summary>
public class ResNet18Tests
{
    private static string ModelPath => typeof(ResNet18Tests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ResNet18Model").Value!;

    private static string MnistFolder => typeof(ResNet18Tests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "MnistFolder").Value!;

    /// <summary>Digits from the test slice, each upscaled 8× (nearest) to 224×224, the same in the three channels, in [-128, 127] as the model's mean-subtracted BGR input.</summary>
    internal static float[] Digits(int count)
    {
        LabeledImages test = LabeledImages.LoadMnist(MnistFolder).Test;
        var input = new float[count * 3 * 224 * 224];
        for (int n = 0; n < count; n++)
        {
            for (int c = 0; c < 3; c++)
            {
                for (int y = 0; y < 224; y++)
                {
                    for (int x = 0; x < 224; x++)
                    {
                        input[(((((n * 3) + c) * 224) + y) * 224) + x] = (test.Images[(n * 784) + ((y / 8) * 28) + (x / 8)] * 255f) - 128f;
                    }
                }
            }
        }

        return input;
    }

    /// <summary>samples/ResNet18/ResNet18.cs, the committed import.</summary>
    private static string CommittedImport => Path.Combine(
        typeof(ResNet18Tests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!, "samples", "ResNet18", "ResNet18.cs");

    [Fact]
    public void The_sample_holds_what_the_importer_writes_today()
    {
        OnnxImport imported = OnnxImport.Import(ModelPath, new OnnxImportOptions("ResNet18") { Namespace = "KernelGen.Samples" });
        Assert.Equal(imported.Source, File.ReadAllText(CommittedImport).ReplaceLineEndings("\n"));
    }

    [Fact]
    public void The_pretrained_ResNet_18_matches_ONNX_Runtime_on_MNIST_digits()
    {
        Assert.True(File.Exists(ModelPath), $"The package's model is not at '{ModelPath}'; restore the test project.");
        byte[] model = File.ReadAllBytes(ModelPath);
        OnnxImport imported = OnnxImport.Import(model, "ResNet18.onnx", new OnnxImportOptions("ResNet18") { Namespace = "Imported" });

        // 20 convolutions with their batch norms folded, the 1×1 projections, 8 sums with ReLU, the stem's max pool, the global pool.
        Assert.Equal(33, imported.LayerCount);
        Assert.Contains("PaddingTop = 3, PaddingBottom = 2, PaddingLeft = 3, PaddingRight = 2", imported.Source);
        Assert.DoesNotContain("[BatchNorm2D", imported.Source);

        INetwork network = ImportRunner.Load(imported);
        Assert.Equal(3 * 224 * 224, network.InputLength);
        Assert.Equal(512, network.OutputLength);
        const int batch = 2;
        float[] input = Digits(batch);
        float[] ours = ImportRunner.Run(network, imported, input, batch);
        for (int n = 0; n < batch; n++)
        {
            float[] sample = input[(n * network.InputLength)..((n + 1) * network.InputLength)];
            float[] theirs = ImportRunner.OnnxRuntime(model, sample, 1, network.InputLength);
            ImportRunner.AssertClose(theirs, ours[(n * 512)..((n + 1) * 512)]);
        }

        // The features differ between the two digits: the network is not blind to its input.
        Assert.NotEqual(ours[..512], ours[512..]);
    }
}
