// The examples of the introductions KernelGen grows from, computed by KernelGen's reference
// implementation: each convolution's input, kernel, padding and output, then the classic MNIST
// model with every layer's output shape and parameter count taken from the shape arithmetic.
using System.Globalization;
using KernelGen;

Console.WriteLine("KernelGen seed examples");
Console.WriteLine("=======================");
Console.WriteLine("\"Convolution\" is cross-correlation, as in PyTorch, ONNX and Keras; \"flipped\" rotates the kernel by 180 degrees first.");

float[] oneToNine = [1, 2, 3, 4, 5, 6, 7, 8, 9];
float[] plus = [0, 1, 0, 1, 1, 1, 0, 1, 0];

Examples.Convolve("The plus kernel over 1..9, no padding", oneToNine, 3, plus, 3);
Examples.Convolve("The plus kernel over 1..9, padding 1 (output as large as the input)", oneToNine, 3, plus, 3, padding: 1);
Examples.Convolve("A 2x2 kernel over 1..9", oneToNine, 3, [1, 2, 3, 4], 2);
Examples.Convolve("The same 2x2 kernel, flipped (textbook convolution)", oneToNine, 3, [1, 2, 3, 4], 2, flip: true);
Examples.Convolve("A ring kernel over 1..25", [.. Enumerable.Range(1, 25).Select(i => (float)i)], 5, [0, 1, 0, 1, 0, 1, 0, 1, 0], 3);
Examples.Convolve("An anti-diagonal kernel over a 2x2 input", [1, 2, 3, 4], 2, [0, 1, 1, 0], 2);
Examples.Convolve("The plus kernel over 1..25 with stride 2 and padding 1", [.. Enumerable.Range(1, 25).Select(i => (float)i)], 5, plus, 3, padding: 1, stride: 2);
Examples.MaxPool("Max pool 2x2 over 1..16", [.. Enumerable.Range(1, 16).Select(i => (float)i)], 4, 2);

Examples.KerasSame(oneToNine);
Examples.MnistModel();
Examples.GeneratedKernels(oneToNine, plus);
Seed002.Run();

/// <summary>The walkthrough's steps.</summary>
internal static class Examples
{
    public static void Convolve(string title, float[] image, int size, float[] kernel, int kernelSize, int padding = 0, int stride = 1, bool flip = false)
    {
        var geometry = new Conv2DGeometry(1, size, size, 1, kernelSize, kernelSize, stride, stride, padding, padding, padding, padding);
        var output = new Tensor(1, 1, geometry.OutputHeight, geometry.OutputWidth);
        Reference.Conv2D<float>(geometry, image, kernel, [], output.AsSpan(), flipKernel: flip);

        Heading(title);
        Console.WriteLine($"input {size}x{size}, kernel {kernelSize}x{kernelSize}, padding {padding}, stride {stride}{(flip ? ", flipped" : "")}");
        Print("input", Tensor.FromArray(image, size, size));
        Print("kernel", Tensor.FromArray(kernel, kernelSize, kernelSize));
        Print($"output {geometry.OutputHeight}x{geometry.OutputWidth}", output.Reshape(geometry.OutputHeight, geometry.OutputWidth));
    }

    public static void MaxPool(string title, float[] image, int size, int kernel)
    {
        var geometry = new Pool2DGeometry(1, size, size, kernel, kernel);
        var output = new Tensor(geometry.OutputHeight, geometry.OutputWidth);
        Reference.MaxPool2D<float>(geometry, image, output.AsSpan());

        Heading(title);
        Print("input", Tensor.FromArray(image, size, size));
        Print($"output {geometry.OutputHeight}x{geometry.OutputWidth}", output);
    }

    /// <summary>
    /// Seed 002's Keras layers, Conv2D(1, (3, 3), padding='same', activation='relu') and MaxPooling2D((2, 2), padding='same'),
    /// on 1..9 with a vertical-edge kernel: generated kernels, checked against the reference.
    /// </summary>
    public static void KerasSame(float[] oneToNine)
    {
        float[] edge = [1, 0, -1, 1, 0, -1, 1, 0, -1];
        var convolved = new Tensor(3, 3);
        var pooled = new Tensor(2, 2);
        Kernels.KerasConv(oneToNine, edge, [0], convolved.AsSpan());
        Kernels.KerasPool(convolved.AsSpan(), pooled.AsSpan());

        var expectedConv = new float[9];
        var expectedPool = new float[4];
        Reference.Conv2D<float>(Conv2DGeometry.Same(1, 3, 3, 1, 3, 3), oneToNine, edge, [0], expectedConv, activation: Activation.Relu);
        Reference.MaxPool2D<float>(Pool2DGeometry.Same(1, 3, 3, 2, 2, 2, 2), expectedConv, expectedPool);

        Heading("Keras's padding='same': Conv2D(1, (3, 3), activation='relu') then MaxPooling2D((2, 2))");
        Print("kernel (a vertical edge)", Tensor.FromArray(edge, 3, 3));
        Print("convolution, ReLU: 3x3, as large as the input", convolved);
        Print("max pool 2x2: ceil(3 / 2) = 2 per axis, the extra padding after", pooled);
        bool same = convolved.AsSpan().SequenceEqual(expectedConv) && pooled.AsSpan().SequenceEqual(expectedPool);
        Console.WriteLine(same ? "the generated kernels give exactly the reference's values" : "MISMATCH with the reference");
    }

    /// <summary>Conv 32 3x3 ReLU, MaxPool 2, Flatten, Dense 128 ReLU, Dense 10 softmax on 1x28x28.</summary>
    public static void MnistModel()
    {
        var conv = new Conv2DGeometry(inChannels: 1, height: 28, width: 28, outChannels: 32, kernelHeight: 3, kernelWidth: 3);
        var pool = new Pool2DGeometry(conv.OutChannels, conv.OutputHeight, conv.OutputWidth, kernelHeight: 2, kernelWidth: 2);
        var hidden = new DenseGeometry(pool.OutputLength, 128);
        var logits = new DenseGeometry(hidden.OutFeatures, 10);

        (string Layer, string Output, long Parameters, long Flops)[] rows =
        [
            ("Input", "1x28x28", 0, 0),
            ("Conv2D 32, 3x3, ReLU", $"{conv.OutChannels}x{conv.OutputHeight}x{conv.OutputWidth}", conv.ParameterCount, conv.Flops),
            ("MaxPool2D 2x2", $"{pool.Channels}x{pool.OutputHeight}x{pool.OutputWidth}", 0, 0),
            ("Flatten", $"{pool.OutputLength}", 0, 0),
            ("Dense 128, ReLU", $"{hidden.OutFeatures}", hidden.ParameterCount, hidden.Flops),
            ("Dense 10, softmax", $"{logits.OutFeatures}", logits.ParameterCount, logits.Flops),
        ];

        Heading("The classic MNIST model");
        Console.WriteLine($"{"layer",-22} {"output",-10} {"parameters",12} {"FLOPs",12}");
        foreach (var (layer, output, parameters, flops) in rows)
        {
            Console.WriteLine($"{layer,-22} {output,-10} {parameters,12:N0} {flops,12:N0}");
        }

        Console.WriteLine($"{"total",-22} {"",-10} {rows.Sum(r => r.Parameters),12:N0} {rows.Sum(r => r.Flops),12:N0}");
    }

    /// <summary>The same computations by kernels KernelGen generated at compile time, checked against the reference.</summary>
    public static void GeneratedKernels(float[] oneToNine, float[] plus)
    {
        Heading("The same, by generated kernels");
        var padded = new Tensor(3, 3);
        Kernels.PlusPadded(oneToNine, plus, padded.AsSpan());
        Print("[Conv2D(..., Kernel = 3, Padding = 1)] over 1..9", padded);
        var flipped = new Tensor(2, 2);
        Kernels.Flipped(oneToNine, [1, 2, 3, 4], flipped.AsSpan());
        Print("[Conv2D(..., Kernel = 2, FlipKernel = true)] over 1..9", flipped);

        // One forward pass of the MNIST model with random weights, generated kernels against the reference.
        var conv = new Conv2DGeometry(1, 28, 28, 32, 3, 3);
        var pool = new Pool2DGeometry(32, 26, 26, 2, 2);
        var fc1 = new DenseGeometry(5408, 128);
        var logits = new DenseGeometry(128, 10);
        Tensor image = Tensor.Random(1, 1, 1, 28, 28);
        Tensor w1 = Tensor.Random(2, 32, 1, 3, 3), b1 = Tensor.Random(3, 32);
        Tensor w2 = Tensor.Random(4, 128, 5408), b2 = Tensor.Random(5, 128);
        Tensor w3 = Tensor.Random(6, 10, 128), b3 = Tensor.Random(7, 10);
        foreach ((Tensor weights, int fanIn) in new[] { (w2, 5408), (w3, 128) })
        {
            // Uniform in ±1/√fanIn, as PyTorch initialises a linear layer, so the logits stay moderate.
            foreach (ref float w in weights.AsSpan())
            {
                w /= MathF.Sqrt(fanIn);
            }
        }

        float[] Forward(bool generated)
        {
            float[] a1 = new float[conv.OutputLength], a2 = new float[pool.OutputLength], a3 = new float[128], a4 = new float[10];
            if (generated)
            {
                Kernels.Conv1(image.AsSpan(), w1.AsSpan(), b1.AsSpan(), a1);
                Kernels.Pool1(a1, a2);
                Kernels.Fc1(a2, w2.AsSpan(), b2.AsSpan(), a3);
                Kernels.Logits(a3, w3.AsSpan(), b3.AsSpan(), a4);
            }
            else
            {
                Reference.Conv2D<float>(conv, image.AsSpan(), w1.AsSpan(), b1.AsSpan(), a1, activation: Activation.Relu);
                Reference.MaxPool2D<float>(pool, a1, a2);
                Reference.Dense<float>(fc1, a2, w2.AsSpan(), b2.AsSpan(), a3, activation: Activation.Relu);
                Reference.Dense<float>(logits, a3, w3.AsSpan(), b3.AsSpan(), a4);
            }

            var probabilities = new float[10];
            Reference.Softmax<float>(a4, probabilities);
            return probabilities;
        }

        float[] byGenerated = Forward(generated: true), byReference = Forward(generated: false);
        TensorComparison comparison = TensorComparison.Of(byReference, byGenerated, [10], 1e-5, 1e-4);
        Console.WriteLine("MNIST model, one image, random weights: class probabilities");
        Console.WriteLine($"  generated: {string.Join(" ", byGenerated.Select(p => p.ToString("F4", CultureInfo.InvariantCulture)))}");
        Console.WriteLine($"  reference: {string.Join(" ", byReference.Select(p => p.ToString("F4", CultureInfo.InvariantCulture)))}");
        Console.WriteLine($"  {comparison.Message}");
    }

    private static void Heading(string title)
    {
        Console.WriteLine();
        Console.WriteLine(title);
        Console.WriteLine(new string('-', title.Length));
    }

    private static void Print(string label, Tensor matrix)
    {
        Console.WriteLine($"{label}:");
        Console.Write(matrix.FormatElements());
    }
}
