using System;
using System.CommandLine;
using System.IO;
using System.Linq;
using KernelGen.Onnx;

// kernelgen import MODEL.onnx --class NAME [--namespace NS] [--out DIR] [--input-shape 1x3x224x224] [--keep-batchnorm]
var model = new Argument<FileInfo>("model") { Description = "The ONNX model file." };
var className = new Option<string>("--class") { Description = "The [Network] class to write (a C# identifier).", Required = true };
var ns = new Option<string?>("--namespace") { Description = "The class's namespace (default: none)." };
var output = new Option<DirectoryInfo>("--out") { Description = "Where to write NAME.cs and NAME.safetensors (default: the current folder).", DefaultValueFactory = _ => new DirectoryInfo(".") };
var inputShape = new Option<string?>("--input-shape") { Description = "The input's shape NxCxHxW (e.g. 1x3x224x224), for models that leave a size open." };
var keepBatchNorm = new Option<bool>("--keep-batchnorm") { Description = "Keep BatchNormalization as [BatchNorm2D] layers (to fine-tune) instead of folding them into the convolutions." };

var import = new Command("import", "Import an ONNX model as a KernelGen [Network] class and its weights.") { model, className, ns, output, inputShape, keepBatchNorm };
import.SetAction(result =>
{
    FileInfo file = result.GetValue(model)!;
    DirectoryInfo directory = result.GetValue(output)!;
    try
    {
        int[]? shape = null;
        if (result.GetValue(inputShape) is { } text)
        {
            string[] parts = text.Split('x', 'X', ',');
            if (parts.Length is not (2 or 4) || !parts.All(p => int.TryParse(p, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int d) && d > 0))
            {
                Console.Error.WriteLine($"kernelgen: --input-shape '{text}' is not NxCxHxW (or NxF) of positive sizes, e.g. 1x3x224x224.");
                return 2;
            }

            shape = [.. parts.Skip(1).Select(p => int.Parse(p, System.Globalization.CultureInfo.InvariantCulture))];
        }

        var options = new OnnxImportOptions(result.GetValue(className)!)
        {
            Namespace = result.GetValue(ns),
            InputShape = shape,
            KeepBatchNorm = result.GetValue(keepBatchNorm),
        };
        OnnxImport imported = OnnxImport.Import(file.FullName, options);
        imported.WriteTo(directory.FullName);
        Console.WriteLine($"{file.Name}: {imported.LayerCount} layers, {imported.Weights.Count} tensors ({imported.Weights.Values.Sum(t => (long)t.Length):N0} parameters)");
        Console.WriteLine($"  wrote {Path.Combine(directory.FullName, options.ClassName + ".cs")}");
        Console.WriteLine($"  wrote {Path.Combine(directory.FullName, options.ClassName + ".safetensors")}");
        return 0;
    }
    catch (Exception e) when (e is OnnxImportException or ArgumentException or IOException or UnauthorizedAccessException)
    {
        Console.Error.WriteLine($"kernelgen: {e.Message}");
        return 1;
    }
});

var root = new RootCommand("KernelGen's ONNX importer: a model file in, a [Network] class with fixed-shape kernels out.") { import };
return root.Parse(args).Invoke();
