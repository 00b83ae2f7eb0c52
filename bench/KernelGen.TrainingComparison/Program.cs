// Trains the MNIST CNN with KernelGen and with TorchSharp, from the same initial weights on the same batches,
// and compares time per epoch and test accuracy.
using System.CommandLine;
using KernelGen.Samples;
using KernelGen.TrainingComparison;

var options = new TrainingOptions();
var framework = new Option<string>("--framework")
{
    Description = "Which framework to train",
    HelpName = "both|kernelgen|torch",
    DefaultValueFactory = _ => "both",
}.AcceptOnlyFromAmong("both", "kernelgen", "torch");
var model = new Option<string>("--model")
{
    Description = "The network: cnn (conv, max pool, two dense layers) or resnet (samples/Mnist's MnistResNet, with batch norms)",
    HelpName = "cnn|resnet",
    DefaultValueFactory = _ => "cnn",
}.AcceptOnlyFromAmong("cnn", "resnet");
var command = new RootCommand("Trains an MNIST network (the CNN: conv 3×3×32 ReLU, max pool 2×2, dense 128 ReLU, dense 10; or a small ResNet) with KernelGen and with TorchSharp on the same batches, and compares seconds per epoch and test accuracy.");
options.AddTo(command);
command.Options.Add(framework);
command.Options.Add(model);
command.SetAction(result =>
{
    string chosen = result.GetValue(framework)!;
    return Comparison.Run(options.Read(result), result.GetValue(model)!, kernelGen: chosen != "torch", torch: chosen != "kernelgen");
});
return TrainingOptions.Invoke(command, args);
