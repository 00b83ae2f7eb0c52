using System;
using System.Collections.Generic;
using System.Linq;
using KernelGen.Generator.Model;
using KernelGen.Generator.Planning;
using static KernelGen.Generator.Emit.KernelFile;

namespace KernelGen.Generator.Emit;

/// <summary>
/// What the writers of a network's kernels share: the vector paths of <see cref="SimdPath"/> — each vector loop written once
/// per path, Vector512, Vector256, Vector128, under conditions the JIT folds, widest first, and the scalar loop after it
/// finishing the row (or doing all of it on hardware without vectors) — loops blocked over the batch, the matrix products
/// dense layers and narrow convolutions share, the losses, activations, bias gradients and gradient routing. Every size
/// is a constant. Each layer kind's kernels derive from it (<see cref="Layers.LayerKind.WriteKernels"/>).
/// </summary>
internal class NetworkKernelWriter
{
    /// <summary>Where the kernels are written.</summary>
    protected readonly CodeWriter w;

    private readonly SimdPath[] vectorPaths;

    /// <summary>Every path the kernels are written for, widest first, the scalar one last.</summary>
    protected IReadOnlyList<SimdPath> Paths { get; }

    /// <summary>Floats in the narrowest vector of the paths written (the scalar path has none).</summary>
    protected int NarrowestVector => vectorPaths.Min(p => p.Width);

    public NetworkKernelWriter(CodeWriter w, IReadOnlyList<SimdPath> paths)
    {
        this.w = w;
        Paths = paths;
        vectorPaths = [.. paths.Where(p => !p.IsScalar)];
    }

    protected static void Doc(CodeWriter w, string text) => w.Line($"/// <summary>{text}</summary>");

    protected void Clear(string reference, string length) =>
        w.Line($"{MemoryMarshal}.CreateSpan(ref {reference}, {length}).Clear();");

    /// <summary>
    /// <c>if (Vector512 …) { … } else if (Vector256 …) { … } else if (Vector128 …) { … }</c>: <paramref name="body"/> once per
    /// vector path whose vectors fit <paramref name="length"/> floats (those that do not would never run). The
    /// scalar code the caller writes after it finishes what the vectors left, or does everything without them.
    /// </summary>
    protected void VectorPaths(int length, Action<SimdPath> body)
    {
        bool first = true;
        foreach (SimdPath path in vectorPaths.Where(p => p.Width <= length))
        {
            using (w.Block($"{(first ? "if" : "else if")} ({path.Condition})"))
            {
                body(path);
            }

            first = false;
        }
    }

    /// <summary>
    /// <c>for (; i &lt;= length − width; i += width)</c> over a constant <paramref name="length"/> from <c>i = 0</c> with
    /// <paramref name="body"/>; when the length holds one vector only, the body once and <c>i</c> moved past it (no one-trip loop).
    /// </summary>
    protected void ConstantVectorLoop(SimdPath v, int length, Action body)
    {
        if (length / v.Width == 1)
        {
            body();
            w.Line(Invariant($"i = {v.Width};"));
            return;
        }

        using (w.Block(Invariant($"for (; i <= {length - v.Width}; i += {v.Width})")))
        {
            body();
        }
    }

    /// <summary>
    /// <c>for (; n &lt;= batch − block; n += block)</c> with <paramref name="body"/>(block), then <c>for (; n &lt; batch; n++)</c>
    /// with <paramref name="body"/>(1): a register tile over samples, then the samples left over.
    /// </summary>
    protected void BlockedOverBatch(string variable, int block, Action<int> body)
    {
        using (w.Block(Invariant($"for (; {variable} <= batch - {block}; {variable} += {block})")))
        {
            body(block);
        }

        using (w.Block(Invariant($"for (; {variable} < batch; {variable}++)")))
        {
            body(1);
        }
    }

    /// <summary>As <see cref="BlockedOverBatch"/> over a constant <paramref name="count"/>: no blocked loop when the count is below one block.</summary>
    protected void BlockedOverConstant(string variable, int count, int block, Action<int> body)
    {
        if (count >= block)
        {
            using (w.Block(Invariant($"for (; {variable} <= {count - block}; {variable} += {block})")))
            {
                body(block);
            }
        }

        using (w.Block(Invariant($"for (; {variable} < {count}; {variable}++)")))
        {
            body(1);
        }
    }

    /// <summary>
    /// Binary cross-entropy from logits, <c>max(z, 0) − z·t + log(1 + e^(−|z|))</c>, or the squared error, averaged over
    /// each sample's outputs and summed over the batch; writes <c>scale ×</c> its gradient, <c>(σ(z) − t) / K</c> or
    /// <c>2 (y − t) / K</c>.
    /// </summary>
    public void TargetLoss(LossKind loss, int outputs)
    {
        bool bce = loss == LossKind.BinaryCrossEntropy;
        Doc(w, bce
            ? Invariant($"Binary cross-entropy of each sample's {outputs} logits against its targets, from the logits (no sigmoid rounds to 0 or 1): returns the summed loss, writes <c>scale × (σ(z) − t) / {outputs}</c>.")
            : Invariant($"The mean over each sample's {outputs} outputs of the squared error: returns the summed loss, writes <c>scale × 2 (y − t) / {outputs}</c>."));
        w.Line(AggressiveOptimization);
        using (w.Block($"public static float {loss}(ref float {(bce ? "z" : "y")}, ref float targets, ref float gradient, int batch, float scale)"))
        {
            w.Line("double loss = 0;");
            w.Line(Invariant($"float share = scale / {outputs};"));
            using (w.Block(Invariant($"for (int i = 0; i < batch * {outputs}; i++)")))
            {
                w.Line($"float t = {At("targets", "i")};");
                if (bce)
                {
                    w.Line($"float x = {At("z", "i")};");
                    w.Line("loss += KgMath.Max(x, 0.0) - ((double)x * t) + KgMath.Log(1 + KgMath.Exp(-KgMath.Abs((double)x)));");
                    w.Line($"{At("gradient", "i")} = share * ((1f / (1f + KgMathF.Exp(-x))) - t);");
                }
                else
                {
                    w.Line($"float d = {At("y", "i")} - t;");
                    w.Line("loss += (double)d * d;");
                    w.Line($"{At("gradient", "i")} = share * 2f * d;");
                }
            }

            w.Line(Invariant($"return (float)(loss / {outputs});"));
        }
    }

    public void SoftmaxCrossEntropy(int classes)
    {
        Doc(w, Invariant($"Softmax over each sample's {classes} scores and the cross-entropy with its label: returns the summed loss, writes <c>scale × (softmax − one-hot)</c>."));
        w.Line(AggressiveOptimization);
        using (w.Block("public static float SoftmaxCrossEntropy(ref float logits, ref int labels, ref float gradient, int batch, float scale)"))
        {
            w.Line("double loss = 0;");
            using (w.Block("for (int n = 0; n < batch; n++)"))
            {
                w.Line(Invariant($"ref float z = ref {At("logits", Invariant($"n * {classes}"))};"));
                w.Line(Invariant($"ref float g = ref {At("gradient", Invariant($"n * {classes}"))};"));
                w.Line("float max = z;");
                using (w.Block(Invariant($"for (int k = 1; k < {classes}; k++)")))
                {
                    w.Line($"max = KgMath.Max(max, {At("z", "k")});");
                }

                w.Line("float sum = 0f;");
                using (w.Block(Invariant($"for (int k = 0; k < {classes}; k++)")))
                {
                    w.Line($"float exp = KgMathF.Exp({At("z", "k")} - max);");
                    w.Line($"{At("g", "k")} = exp;");
                    w.Line("sum += exp;");
                }

                w.Line($"int label = {At("labels", "n")};");
                w.Line($"loss += KgMath.Log(sum) + max - {At("z", "label")};");
                w.Line("float share = scale / sum;");
                using (w.Block(Invariant($"for (int k = 0; k < {classes}; k++)")))
                {
                    w.Line($"{At("g", "k")} *= share;");
                }

                w.Line($"{At("g", "label")} -= scale;");
            }

            w.Line("return (float)loss;");
        }
    }

    public void Activation(ActivationKind activation)
    {
        string rule = activation switch
        {
            ActivationKind.Relu => "keeps the gradient where the output is positive",
            ActivationKind.Sigmoid => "multiplies the gradient by y (1 − y)",
            ActivationKind.LeakyRelu => "keeps the gradient where the output is positive and multiplies it by the slope elsewhere",
            ActivationKind.Relu6 => "keeps the gradient where 0 < y < 6",
            ActivationKind.HardSigmoid => "divides the gradient by 6 where 0 < y < 1 and clears it elsewhere",
            _ => "multiplies the gradient by 1 − y²",
        };
        string slope = activation == ActivationKind.LeakyRelu ? ", float slope" : "";
        Doc(w, $"{activation}'s derivative from its output y: {rule}, in place.");
        w.Line(AggressiveOptimization);
        using (w.Block($"public static void {activation}Backward(ref float output, ref float gradient, int length{slope})"))
        {
            w.Line("int i = 0;");
            VectorPaths(int.MaxValue, v =>
            {
                string constant = activation switch
                {
                    ActivationKind.Sigmoid or ActivationKind.HardSigmoid => "one",
                    ActivationKind.Relu6 => "six",
                    _ => "",
                };
                if (constant.Length > 0)
                {
                    w.Line($"{v.Type} {constant} = {v.Broadcast(constant == "one" ? "1f" : "6f")};");
                }

                if (activation == ActivationKind.HardSigmoid)
                {
                    w.Line($"{v.Type} six = {v.Broadcast("6f")};");
                }

                using (w.Block(Invariant($"for (; i <= length - {v.Width}; i += {v.Width})")))
                {
                    w.Line($"{v.Type} y = {v.Load("output", "i")};");
                    w.Line($"{v.Type} g = {v.Load("gradient", "i")};");
                    string select = $"{v.Static}.ConditionalSelect";
                    string positive = $"{v.Static}.GreaterThan(y, {v.Zero})";
                    w.Line(v.Store(activation switch
                    {
                        ActivationKind.Relu => $"{select}({positive}, g, {v.Zero})",
                        ActivationKind.Sigmoid => "g * (y * (one - y))",
                        ActivationKind.LeakyRelu => $"{select}({positive}, g, g * slope)",
                        ActivationKind.Relu6 => $"{select}({positive} & {v.Static}.LessThan(y, six), g, {v.Zero})",
                        ActivationKind.HardSigmoid => $"{select}({positive} & {v.Static}.LessThan(y, one), g / six, {v.Zero})",
                        _ => $"g - (g * (y * y))",
                    }, "gradient", "i"));
                }
            });

            using (w.Block("for (; i < length; i++)"))
            {
                w.Line($"float y = {At("output", "i")};");
                string g = At("gradient", "i");
                w.Line(activation switch
                {
                    ActivationKind.Relu => $"{g} = y > 0f ? {g} : 0f;",
                    ActivationKind.Sigmoid => $"{g} *= y * (1f - y);",
                    ActivationKind.LeakyRelu => $"{g} = y > 0f ? {g} : {g} * slope;",
                    ActivationKind.Relu6 => $"{g} = y > 0f && y < 6f ? {g} : 0f;",
                    ActivationKind.HardSigmoid => $"{g} = y > 0f && y < 1f ? {g} / 6f : 0f;",
                    _ => $"{g} -= {g} * (y * y);",
                });
            }
        }
    }

    /// <summary>
    /// Gradients for a tensor read more than once, and for the inputs of <c>[Add]</c> and <c>[Concat]</c>: a part of each
    /// sample's gradient (all of it for an <c>[Add]</c>) written to, or added into, the gradient of the tensor it came from.
    /// </summary>
    public void GradientRouting()
    {
        Doc(w, "Adds <paramref name=\"length\"/> floats of <paramref name=\"source\"/> into <paramref name=\"target\"/>: a second reader's share of a gradient.");
        w.Line(AggressiveOptimization);
        using (w.Block("public static void Accumulate(ref float source, ref float target, int length)"))
        {
            w.Line("int i = 0;");
            VectorPaths(int.MaxValue, v =>
            {
                using (w.Block(Invariant($"for (; i <= length - {v.Width}; i += {v.Width})")))
                {
                    w.Line(v.Store($"{v.Load("target", "i")} + {v.Load("source", "i")}", "target", "i"));
                }
            });

            using (w.Block("for (; i < length; i++)"))
            {
                w.Line($"{At("target", "i")} += {At("source", "i")};");
            }
        }

        w.Line();
        Doc(w, "Each sample's <paramref name=\"length\"/> floats from <paramref name=\"offset\"/> in a gradient of <paramref name=\"total\"/> per sample, written to (or with <paramref name=\"add\"/> added into) a tensor's gradient.");
        w.Line(AggressiveOptimization);
        using (w.Block("public static void Slice(ref float gradient, ref float target, int batch, int offset, int length, int total, bool add)"))
        using (w.Block("for (int n = 0; n < batch; n++)"))
        {
            w.Line("ref float from = ref KgUnsafe.Add(ref gradient, (n * total) + offset), to = ref KgUnsafe.Add(ref target, n * length);");
            using (w.Block("if (add)"))
            {
                w.Line("Accumulate(ref from, ref to, length);");
            }

            using (w.Block("else"))
            {
                w.Line($"{MemoryMarshal}.CreateReadOnlySpan(ref from, length).CopyTo({MemoryMarshal}.CreateSpan(ref to, length));");
            }
        }
    }

    /// <summary>
    /// An activation whose derivative needs its input: applied after the layer's kernel, from the kept pre-activation into
    /// the output, and its derivative taken from the pre-activation — both with the runtime's float functions.
    /// </summary>
    public void SeparateActivation(ActivationKind activation)
    {
        bool leaky = activation == ActivationKind.LeakyRelu;
        string slope = leaky ? ", float slope" : "", slopeArgument = leaky ? ", slope" : "";
        Doc(w, $"{activation} of each pre-activation, into the layer's output.");
        w.Line(AggressiveOptimization);
        using (w.Block($"public static void {activation}Forward(ref float input, ref float output, int length{slope})"))
        using (w.Block("for (int i = 0; i < length; i++)"))
        {
            w.Line($"{At("output", "i")} = {ActivationText.Functions}.{activation}({At("input", "i")}{slopeArgument});");
        }

        w.Line();
        Doc(w, $"{activation}'s derivative from its input (the kept pre-activation), multiplied into the gradient in place.");
        w.Line(AggressiveOptimization);
        using (w.Block($"public static void {activation}InputBackward(ref float input, ref float gradient, int length{slope})"))
        using (w.Block("for (int i = 0; i < length; i++)"))
        {
            w.Line($"{At("gradient", "i")} *= {ActivationText.Functions}.{activation}Derivative({At("input", "i")}{slopeArgument});");
        }
    }

    /// <summary>The batch norms' plane reductions: a sum, a sum of squared deviations and a dot product, in float vectors, returned as double.</summary>
    public void PlaneSums()
    {
        (string Method, string Parameters, string Doc, Func<Func<string, string>, string> Term)[] reductions =
        [
            ("PlaneSum", "ref float x, int length", "Σ x", load => load("x")),
            ("PlaneDeviation", "ref float x, int length, float mean", "Σ (x − mean)²", load => $"({load("x")} - mean) * ({load("x")} - mean)"),
            ("PlaneDot", "ref float x, ref float y, int length", "Σ x · y", load => $"{load("x")} * {load("y")}"),
        ];
        for (int r = 0; r < reductions.Length; r++)
        {
            (string method, string parameters, string doc, Func<Func<string, string>, string> term) = reductions[r];
            if (r > 0)
            {
                w.Line();
            }

            Doc(w, doc + " over <paramref name=\"length\"/> floats, in float vectors; returned as double for the caller's sums across planes.");
            w.Line(AggressiveOptimization);
            using (w.Block($"public static double {method}({parameters})"))
            {
                w.Line("float sum = 0f;");
                w.Line("int i = 0;");
                VectorPaths(int.MaxValue, v =>
                {
                    w.Line($"{v.Type} acc = {v.Zero};");
                    using (w.Block(Invariant($"for (; i <= length - {v.Width}; i += {v.Width})")))
                    {
                        if (method == "PlaneDeviation")
                        {
                            w.Line($"{v.Type} d = {v.Load("x", "i")} - {v.Broadcast("mean")};");
                            w.Line("acc += d * d;");
                        }
                        else
                        {
                            w.Line($"acc += {term(reference => v.Load(reference, "i"))};");
                        }
                    }

                    w.Line($"sum = {v.Sum("acc")};");
                });

                using (w.Block("for (; i < length; i++)"))
                {
                    w.Line($"sum += {term(reference => At(reference, "i"))};");
                }

                w.Line("return sum;");
            }
        }
    }

    /// <summary>The bias gradient: each channel's gradient summed over its plane and the batch.</summary>
    public void BiasGradient(string layer, int channels, int plane)
    {
        Doc(w, Invariant($"The gradient of <c>{layer}</c>'s bias: the output gradient summed over each channel's {plane} positions and the batch."));
        w.Line(AggressiveOptimization);
        using (w.Block($"public static void {layer}BiasGradient(ref float gradOutput, ref float gradBias, int batch)"))
        {
            Clear("gradBias", Invariant($"{channels}"));
            using (w.Block("for (int n = 0; n < batch; n++)"))
            {
                if (plane == 1)
                {
                    // One value per channel: add the sample's row to the sums, a vector of channels at a time.
                    w.Line(Invariant($"ref float row = ref {At("gradOutput", Offset(0, ("n", channels)))};"));
                    w.Line("int o = 0;");
                    VectorPaths(channels, v =>
                    {
                        using (w.Block(Invariant($"for (; o <= {channels - v.Width}; o += {v.Width})")))
                        {
                            w.Line(v.Store($"{v.Load("gradBias", "o")} + {v.Load("row", "o")}", "gradBias", "o"));
                        }
                    });

                    using (w.Block(Invariant($"for (; o < {channels}; o++)")))
                    {
                        w.Line($"{At("gradBias", "o")} += {At("row", "o")};");
                    }

                    return;
                }

                using (w.Block(Invariant($"for (int o = 0; o < {channels}; o++)")))
                {
                    w.Line(Invariant($"ref float p = ref {At("gradOutput", Invariant($"((n * {channels}) + o) * {plane}"))};"));
                    w.Line("float sum = 0f;");
                    w.Line("int i = 0;");
                    VectorPaths(plane, v =>
                    {
                        w.Line($"{v.Type} acc = {v.Zero};");
                        using (w.Block(Invariant($"for (; i <= {plane - v.Width}; i += {v.Width})")))
                        {
                            w.Line($"acc += {v.Load("p", "i")};");
                        }

                        w.Line($"sum = {v.Sum("acc")};");
                    });

                    using (w.Block(Invariant($"for (; i < {plane}; i++)")))
                    {
                        w.Line($"sum += {At("p", "i")};");
                    }

                    w.Line($"{At("gradBias", "o")} += sum;");
                }
            }
        }
    }

    /// <summary>
    /// The body of <c>(ref float input, ref float gradOutput, ref float gradWeights, int batch)</c>:
    /// <c>gradWeights[o, i] (+)= Σₙ gradOutput[n, o] · input[n, i]</c>, in register tiles of four outputs × two vectors of
    /// inputs over the whole of <c>batch</c>; with <paramref name="accumulate"/> the sums are added to what is there.
    /// </summary>
    protected void Product(int inputs, int outputs, bool accumulate)
    {
        w.Line("int i = 0;");
        VectorPaths(inputs / 2, v =>
        {
            using (w.Block(Invariant($"for (; i <= {inputs - (2 * v.Width)}; i += {2 * v.Width})")))
            {
                w.Line("int o = 0;");
                BlockedOverConstant("o", outputs, 4, block =>
                {
                    var tile = (from j in Enumerable.Range(0, block) from h in Enumerable.Range(0, 2) select (j, h)).ToArray();
                    w.Line($"{v.Type} {string.Join(", ", tile.Select(t => Invariant($"a{t.j}{t.h} = {v.Zero}")))};");
                    using (w.Block("for (int n = 0; n < batch; n++)"))
                    {
                        w.Line(Invariant($"ref float x = ref {At("input", Invariant($"(n * {inputs}) + i"))};"));
                        w.Line(Invariant($"ref float dy = ref {At("gradOutput", Invariant($"(n * {outputs}) + o"))};"));
                        w.Line($"{v.Type} v0 = {v.Load("x", 0)}, v1 = {v.Load("x", v.Width)};");
                        for (int j = 0; j < block; j++)
                        {
                            w.Line(Invariant($"{v.Type} b{j} = {v.Broadcast(At("dy", Invariant($"{j}")))};"));
                            w.Line(Invariant($"a{j}0 = {v.MultiplyAdd($"b{j}", "v0", $"a{j}0")};"));
                            w.Line(Invariant($"a{j}1 = {v.MultiplyAdd($"b{j}", "v1", $"a{j}1")};"));
                        }
                    }

                    for (int j = 0; j < block; j++)
                    {
                        w.Line(Invariant($"ref float row{j} = ref {At("gradWeights", Invariant($"({Row("o", j, inputs)}) + i"))};"));
                        w.Line(v.Store(accumulate ? Invariant($"{v.Load($"row{j}", 0)} + a{j}0") : Invariant($"a{j}0"), $"row{j}", 0));
                        w.Line(v.Store(accumulate ? Invariant($"{v.Load($"row{j}", v.Width)} + a{j}1") : Invariant($"a{j}1"), $"row{j}", v.Width));
                    }
                });
            }
        });

        w.Line("// The columns left over (all of them on hardware without vectors).");
        using (w.Block(Invariant($"for (; i < {inputs}; i++)")))
        using (w.Block(Invariant($"for (int o = 0; o < {outputs}; o++)")))
        {
            w.Line("float sum = 0f;");
            using (w.Block("for (int n = 0; n < batch; n++)"))
            {
                w.Line(Invariant($"sum += {At("gradOutput", Invariant($"(n * {outputs}) + o"))} * {At("input", Invariant($"(n * {inputs}) + i"))};"));
            }

            w.Line(Invariant($"{At("gradWeights", Invariant($"(o * {inputs}) + i"))} {(accumulate ? "+=" : "=")} sum;"));
        }
    }

    /// <summary>
    /// The body of <c>(ref float gradOutput, ref float weights, ref float gradInput, int batch)</c>:
    /// <c>gradInput[n, i] = Σₒ gradOutput[n, o] · weights[o, i]</c>, in register tiles of four samples × two vectors of inputs.
    /// </summary>
    protected void Spread(int inputs, int outputs)
    {
        w.Line("int n = 0;");
        BlockedOverBatch("n", 4, samples =>
        {
            for (int k = 0; k < samples; k++)
            {
                w.Line(Invariant($"ref float d{k} = ref {At("gradOutput", Row("n", k, outputs))};"));
                w.Line(Invariant($"ref float g{k} = ref {At("gradInput", Row("n", k, inputs))};"));
            }

            w.Line("int i = 0;");
            int vectors = samples == 4 ? 2 : 4;
            VectorPaths(inputs / vectors, v =>
            {
                using (w.Block(Invariant($"for (; i <= {inputs - (v.Width * vectors)}; i += {v.Width * vectors})")))
                {
                    var accumulators = new List<string>();
                    for (int k = 0; k < samples; k++)
                    {
                        for (int j = 0; j < vectors; j++)
                        {
                            accumulators.Add(Invariant($"a{k}{j}"));
                        }
                    }

                    w.Line($"{v.Type} {string.Join(", ", accumulators.Select(a => $"{a} = {v.Zero}"))};");
                    using (w.Block(Invariant($"for (int o = 0; o < {outputs}; o++)")))
                    {
                        w.Line(Invariant($"ref float row = ref {At("weights", Invariant($"(o * {inputs}) + i"))};"));
                        for (int j = 0; j < vectors; j++)
                        {
                            w.Line(Invariant($"{v.Type} w{j} = {v.Load("row", v.Width * j)};"));
                        }

                        for (int k = 0; k < samples; k++)
                        {
                            w.Line($"{v.Type} b{k} = {v.Broadcast(At($"d{k}", "o"))};");
                            for (int j = 0; j < vectors; j++)
                            {
                                w.Line(Invariant($"a{k}{j} = {v.MultiplyAdd($"b{k}", $"w{j}", $"a{k}{j}")};"));
                            }
                        }
                    }

                    for (int k = 0; k < samples; k++)
                    {
                        for (int j = 0; j < vectors; j++)
                        {
                            w.Line(v.Store(Invariant($"a{k}{j}"), $"g{k}", Plus("i", v.Width * j)));
                        }
                    }
                }
            });

            using (w.Block(Invariant($"for (; i < {inputs}; i++)")))
            {
                w.Line($"float {string.Join(", ", Enumerable.Range(0, samples).Select(k => $"s{k} = 0f"))};");
                using (w.Block(Invariant($"for (int o = 0; o < {outputs}; o++)")))
                {
                    w.Line(Invariant($"float weight = {At("weights", Invariant($"(o * {inputs}) + i"))};"));
                    for (int k = 0; k < samples; k++)
                    {
                        w.Line($"s{k} += {At($"d{k}", "o")} * weight;");
                    }
                }

                for (int k = 0; k < samples; k++)
                {
                    w.Line($"{At($"g{k}", "i")} = s{k};");
                }
            }
        });
    }

    /// <summary><c>(variable + k) × length</c> as C#: where row <paramref name="k"/> after <paramref name="variable"/> starts.</summary>
    protected static string Row(string variable, int k, int length) =>
        k == 0 ? Invariant($"{variable} * {length}") : Invariant($"({variable} + {k}) * {length}");

    /// <summary><c>variable × factor</c> as C#, without a <c>× 1</c>.</summary>
    protected static string Times(string variable, int factor) => factor == 1 ? variable : Invariant($"({variable} * {factor})");
}
