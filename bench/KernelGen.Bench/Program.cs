using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/KernelGen.Bench -- --filter '*'           the whole suite
// KERNELGEN_BENCH_SHAPES=mnist_conv1 dotnet run ... -- --filter '*Conv*' --job Dry  one shape, one iteration
BenchmarkSwitcher.FromAssembly(typeof(KernelGen.Bench.Suite).Assembly).Run(args);
