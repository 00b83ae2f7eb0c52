using System.Globalization;
using KernelGen;
using KernelGen.Training;

/// <summary>
/// Seed 002's Keras binary classifier: one Conv2D(1, (3, 3), padding='same', activation='relu') applied twice (one set of
/// weights), MaxPooling2D((2, 2), padding='same'), Flatten, Dense(1, activation='sigmoid'), binary_crossentropy.
/// </summary>
[Network(InputChannels = 1, InputHeight = 6, InputWidth = 6, Loss = Loss.BinaryCrossEntropy)]
internal sealed partial class Seed002Model
{
    [Conv2D(OutChannels = 1, Kernel = 3, SamePadding = true, Activation = Activation.Relu)] partial void Conv();
    [Conv2D(OutChannels = 1, Kernel = 3, SamePadding = true, Activation = Activation.Relu, SharesWeightsWith = nameof(Conv))] partial void ConvAgain();
    [MaxPool2D(Kernel = 2, SamePadding = true)] partial void Pool();
    [Dense(OutFeatures = 1, Activation = Activation.Sigmoid)] partial void Out();
}

/// <summary>Trains <see cref="Seed002Model"/> on a synthetic task and prints what Keras's summary and fit would.</summary>
internal static class Seed002
{
    /// <summary>6×6 images holding one bright vertical (label 1) or horizontal (label 0) bar somewhere, with a little noise.</summary>
    public static (float[] Images, float[] Labels) Bars(int seed, int count)
    {
        var random = new Random(seed);
        var images = new float[count * 36];
        var labels = new float[count];
        for (int n = 0; n < count; n++)
        {
            bool vertical = random.Next(2) == 1;
            int at = random.Next(6);
            for (int i = 0; i < 36; i++)
            {
                int y = i / 6, x = i % 6;
                images[(n * 36) + i] = ((vertical ? x : y) == at ? 1f : 0f) + (float)(random.NextDouble() * 0.1);
            }

            labels[n] = vertical ? 1f : 0f;
        }

        return (images, labels);
    }

    public static void Run()
    {
        var model = new Seed002Model(seed: 2);
        Console.WriteLine();
        Console.WriteLine("Seed 002: Keras's binary classifier, one convolution applied twice");
        Console.WriteLine("------------------------------------------------------------------");
        Console.WriteLine("Model: \"seed_002\"");
        Console.WriteLine(" Layer (type)                   Output Shape          Param #");
        Console.WriteLine("==============================================================");
        Console.WriteLine(" conv (Conv2D)                  (None, 6, 6, 1)       10");
        Console.WriteLine(" conv (Conv2D), applied again   (None, 6, 6, 1)       0 (shared)");
        Console.WriteLine(" max_pooling2d (MaxPooling2D)   (None, 3, 3, 1)       0");
        Console.WriteLine(" flatten (Flatten)              (None, 9)             0");
        Console.WriteLine(" dense (Dense)                  (None, 1)             10");
        Console.WriteLine("==============================================================");
        int total = model.Parameters.Sum(p => p.Values.Length);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Total params: {total} ({string.Join(", ", model.Parameters.Select(p => p.Name))})"));

        (float[] trainImages, float[] trainLabels) = Bars(1, 256);
        (float[] testImages, float[] testLabels) = Bars(2, 128);
        var trainer = new Trainer(model, new Adam(0.02f), maxBatch: 32, threads: 1);
        for (int epoch = 1; epoch <= 8; epoch++)
        {
            double loss = 0;
            int correct = 0;
            for (int first = 0; first < 256; first += 32)
            {
                StepResult step = trainer.Step(trainImages.AsSpan(first * 36, 32 * 36), trainLabels.AsSpan(first, 32), 32);
                loss += step.Loss * 32;
                correct += step.Correct;
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Epoch {epoch}/8"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"8/8 - loss: {loss / 256:F4} - accuracy: {correct / 256.0:F4}"));
        }

        StepResult test = trainer.Evaluate(testImages, testLabels, 128);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"evaluate: loss: {test.Loss:F4} - accuracy: {test.Accuracy:F4}"));
        float[] kernel = model.ConvWeight.Values;
        Console.WriteLine("the learned 3x3 kernel, used by both applications:");
        for (int r = 0; r < 3; r++)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {kernel[3 * r],7:F3} {kernel[(3 * r) + 1],7:F3} {kernel[(3 * r) + 2],7:F3}"));
        }
    }
}
