using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using KernelGen.Generator.Model;
using KernelGen.Generator.Planning;
using static KernelGen.Generator.Emit.KernelFile;

namespace KernelGen.Generator.Emit;

/// <summary>
/// Writes a network's backward kernels: softmax cross-entropy, activation derivatives, and per layer the
/// gradients with respect to its input, weights and bias (or the pools' routing). Every size is a constant.
/// Each vector loop is written once per vector path of <see cref="SimdPath"/> — Vector512, Vector256, Vector128,
/// under conditions the JIT folds, widest first — and the scalar loop after it finishes the row (or does all of it
/// on hardware without vectors).
/// </summary>
internal static class BackwardEmitter
{
    public static void Write(CodeWriter w, NetworkSpec spec, IReadOnlyList<SimdPath> paths)
    {
        var e = new Writer(w, paths.Where(p => !p.IsScalar).ToArray());
        w.Line("/// <summary>The first element of an array or span, for the kernels' <c>ref float</c> parameters.</summary>");
        w.Line($"public static ref float Start(float[] array) => ref {MemoryMarshal}.GetArrayDataReference(array);");
        w.Line();
        w.Line("/// <inheritdoc cref=\"Start(float[])\"/>");
        w.Line($"public static ref float Start(KgReadOnlySpan span) => ref {MemoryMarshal}.GetReference(span);");
        w.Line();
        if (spec.Loss == LossKind.SoftmaxCrossEntropy)
        {
            e.SoftmaxCrossEntropy(spec.OutputLength);
        }
        else
        {
            e.TargetLoss(spec.Loss, spec.OutputLength);
        }
        foreach (ActivationKind activation in spec.Layers.Where(l => !l.KeepsPreActivation).Select(l => l.Activation.Kind).Where(a => a != ActivationKind.None).Distinct().OrderBy(a => a))
        {
            w.Line();
            e.Activation(activation);
        }

        foreach (ActivationKind activation in spec.Layers.Where(l => l.KeepsPreActivation).Select(l => l.Activation.Kind).Distinct().OrderBy(a => a))
        {
            w.Line();
            e.SeparateActivation(activation);
        }

        foreach (NetworkLayer layer in spec.Layers)
        {
            switch (layer.Spec)
            {
                case ConvSpec conv:
                    w.Line();
                    if (layer.WeightGradientByProduct)
                    {
                        e.ConvWeightGradientByProduct(layer.Name, conv);
                    }
                    else
                    {
                        e.ConvWeightGradient(layer.Name, conv);
                    }

                    if (layer.HasBias)
                    {
                        w.Line();
                        e.BiasGradient(layer.Name, conv.OutChannels, conv.Geometry.OutputHeight * conv.Geometry.OutputWidth);
                    }

                    // A convolution that reads the network's input needs no input gradient.
                    if (layer.Inputs[0] < 0)
                    {
                        break;
                    }

                    w.Line();
                    if (layer.InputGradient is not null)
                    {
                        e.TransposeWeights(layer.Name, conv);
                    }
                    else if (layer.WeightGradientByProduct)
                    {
                        e.ConvInputGradientByProduct(layer.Name, conv);
                    }
                    else
                    {
                        e.ConvInputGradient(layer.Name, conv);
                    }

                    break;
                case DenseSpec dense:
                    w.Line();
                    e.DenseForward(layer.Name, dense);
                    w.Line();
                    e.DenseWeightGradient(layer.Name, dense);
                    w.Line();
                    if (layer.HasBias)
                    {
                        e.BiasGradient(layer.Name, dense.OutFeatures, 1);
                        w.Line();
                    }

                    e.DenseInputGradient(layer.Name, dense);
                    break;
                case PoolSpec pool:
                    w.Line();
                    e.PoolInputGradient(layer.Name, pool);
                    break;
                case GlobalPoolSpec global:
                    w.Line();
                    e.GlobalPoolInputGradient(layer.Name, global);
                    break;
                case AddSpec add:
                    w.Line();
                    e.AddForward(layer.Name, add, layer.Inputs.Count);
                    break;
                case ConcatSpec concat:
                    w.Line();
                    e.ConcatForward(layer.Name, concat);
                    break;
                case BatchNormSpec norm:
                    w.Line();
                    e.BatchNormTraining(layer, norm);
                    if (layer.Folded is not null)
                    {
                        w.Line();
                        e.BatchNormFold(layer.Name, norm, spec.Layers[layer.Inputs[0]]);
                    }

                    break;
            }
        }

        if (spec.Normalizes)
        {
            w.Line();
            e.PlaneSums();
        }

        if (spec.Branches || spec.SharesWeights)
        {
            w.Line();
            e.GradientRouting();
        }
    }

    private sealed class Writer(CodeWriter w, SimdPath[] vectorPaths)
    {
        private static string At(string reference, string offset) => KernelFile.At(reference, offset);

        private static void Doc(CodeWriter w, string text) => w.Line($"/// <summary>{text}</summary>");

        private void Clear(string reference, string length) =>
            w.Line($"{MemoryMarshal}.CreateSpan(ref {reference}, {length}).Clear();");

        /// <summary>
        /// <c>if (Vector512 …) { … } else if (Vector256 …) { … } else if (Vector128 …) { … }</c>: <paramref name="body"/> once per
        /// vector path whose vectors fit <paramref name="length"/> floats (those that do not would never run). The
        /// scalar code the caller writes after it finishes what the vectors left, or does everything without them.
        /// </summary>
        private void VectorPaths(int length, Action<SimdPath> body)
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
        private void ConstantVectorLoop(SimdPath v, int length, Action body)
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
        private void BlockedOverBatch(string variable, int block, Action<int> body)
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
        private void BlockedOverConstant(string variable, int count, int block, Action<int> body)
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
        /// The forward pass of an <c>[Add]</c> of <paramref name="operands"/> tensors: their sum, element by element, with the
        /// activation fused where it is vectorised (the others are applied after the kernel by the network).
        /// </summary>
        public void AddForward(string layer, AddSpec s, int operands)
        {
            string[] names = [.. Enumerable.Range(0, operands).Select(k => Invariant($"x{k}"))];
            Doc(w, Invariant($"<c>{layer}</c>: the sum of its {operands} inputs{(s.Activation.IsNone ? "" : $", then {s.Activation}")}, {s.Length} floats per sample."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {layer}Forward({string.Join(", ", names.Select(n => $"ref float {n}"))}, ref float output, int batch)"))
            {
                w.Line(Invariant($"int length = batch * {s.Length}, i = 0;"));
                VectorPaths(int.MaxValue, v =>
                {
                    using (w.Block(Invariant($"for (; i <= length - {v.Width}; i += {v.Width})")))
                    {
                        w.Line($"{v.Type} sum = {string.Join(" + ", names.Select(n => v.Load(n, "i")))};");
                        w.Line(v.Store(s.Activation.Vectorised ? ActivationText.Apply(v, s.Activation, "sum") : "sum", "output", "i"));
                    }
                });

                using (w.Block("for (; i < length; i++)"))
                {
                    w.Line($"float sum = {string.Join(" + ", names.Select(n => At(n, "i")))};");
                    w.Line($"{At("output", "i")} = {(s.Activation.Vectorised ? ActivationText.Apply(s.Activation, "sum") : "sum")};");
                }

                if (!s.Activation.Vectorised)
                {
                    using (w.Block("for (int j = 0; j < length; j++)"))
                    {
                        w.Line($"{At("output", "j")} = {ActivationText.Apply(s.Activation, At("output", "j"))};");
                    }
                }
            }
        }

        /// <summary>The forward pass of a <c>[Concat]</c>: each sample's inputs copied one after another along channels.</summary>
        public void ConcatForward(string layer, ConcatSpec s)
        {
            int total = s.OutChannels * s.Plane;
            string[] names = [.. Enumerable.Range(0, s.Channels.Count).Select(k => Invariant($"x{k}"))];
            Doc(w, Invariant($"<c>{layer}</c>: its {s.Channels.Count} inputs joined along channels ({string.Join(" + ", s.Channels)} = {s.OutChannels}), sample by sample."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {layer}Forward({string.Join(", ", names.Select(n => $"ref float {n}"))}, ref float output, int batch)"))
            using (w.Block("for (int n = 0; n < batch; n++)"))
            {
                int offset = 0;
                for (int k = 0; k < names.Length; k++)
                {
                    int length = s.Channels[k] * s.Plane;
                    w.Line(Invariant($"{MemoryMarshal}.CreateReadOnlySpan(ref {At(names[k], Invariant($"n * {length}"))}, {length}).CopyTo({MemoryMarshal}.CreateSpan(ref {At("output", Offset(offset, ("n", total)))}, {length}));"));
                    offset += length;
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

        /// <summary>
        /// A convolution's weights with in and out channels swapped, <c>[in, out, kh, kw]</c>: the weights of the forward
        /// convolution that computes its input gradient (which also rotates each kernel, by <c>FlipKernel</c>).
        /// </summary>
        public void TransposeWeights(string layer, ConvSpec c)
        {
            int area = c.KernelHeight * c.KernelWidth;
            Doc(w, Invariant($"<c>{layer}</c>'s weights [{c.OutChannels}, {c.InChannels}, {c.KernelHeight}, {c.KernelWidth}] with in and out channels swapped, [{c.InChannels}, {c.OutChannels}, {c.KernelHeight}, {c.KernelWidth}], for its input gradient."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {layer}TransposeWeights(ref float weights, ref float transposed)"))
            using (w.Block(Invariant($"for (int o = 0; o < {c.OutChannels}; o++)")))
            using (w.Block(Invariant($"for (int i = 0; i < {c.InChannels}; i++)")))
            {
                w.Line(Invariant($"{MemoryMarshal}.CreateReadOnlySpan(ref {At("weights", Invariant($"((o * {c.InChannels}) + i) * {area}"))}, {area}).CopyTo({MemoryMarshal}.CreateSpan(ref {At("transposed", Invariant($"((i * {c.OutChannels}) + o) * {area}"))}, {area}));"));
            }
        }

        /// <summary>
        /// A batch norm in training: its forward pass with the batch's statistics, and the two halves of its backward pass.
        /// Statistics are sums of float vectors over each plane, added up in double across planes.
        /// </summary>
        public void BatchNormTraining(NetworkLayer layer, BatchNormSpec s)
        {
            string name = layer.Name, eps = Invariant($"{s.Epsilon.ToString("R", CultureInfo.InvariantCulture)}f");
            int c = s.Channels, plane = s.Plane;
            string planeAt(string reference) => At(reference, Invariant($"((n * {c}) + c) * {plane}"));
            ActivationSpec act = layer.KeepsPreActivation ? ActivationSpec.None : s.Activation;
            Doc(w, Invariant($"<c>{name}</c> in training: each channel's mean and variance over the batch's {plane} values per sample, x̂ = (x − mean) / √(variance + ε) kept, y = scale · x̂ + shift{(act.IsNone ? "" : $", then {act}")}."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {name}TrainingForward(ref float input, ref float scale, ref float shift, ref float normalized, ref float mean, ref float variance, ref float output, int batch)"))
            {
                w.Line(Invariant($"double count = (double)batch * {plane};"));
                using (w.Block(Invariant($"for (int c = 0; c < {c}; c++)")))
                {
                    w.Line("double sum = 0, squares = 0;");
                    using (w.Block("for (int n = 0; n < batch; n++)"))
                    {
                        w.Line(Invariant($"sum += PlaneSum(ref {planeAt("input")}, {plane});"));
                    }

                    w.Line();
                    w.Line("float mu = (float)(sum / count);");
                    using (w.Block("for (int n = 0; n < batch; n++)"))
                    {
                        w.Line(Invariant($"squares += PlaneDeviation(ref {planeAt("input")}, {plane}, mu);"));
                    }

                    w.Line();
                    w.Line($"{At("mean", "c")} = mu;");
                    w.Line($"{At("variance", "c")} = (float)(squares / count);");
                    w.Line($"float inverse = (float)(1 / KgMath.Sqrt((squares / count) + {eps}));");
                    w.Line($"float gamma = {At("scale", "c")}, beta = {At("shift", "c")};");
                    w.Line();
                    using (w.Block("for (int n = 0; n < batch; n++)"))
                    {
                        w.Line($"ref float x = ref {planeAt("input")}, xh = ref {planeAt("normalized")}, y = ref {planeAt("output")};");
                        w.Line("int i = 0;");
                        VectorPaths(plane, v =>
                        {
                            w.Line($"{v.Type} m = {v.Broadcast("mu")}, k = {v.Broadcast("inverse")}, g = {v.Broadcast("gamma")}, b = {v.Broadcast("beta")};");
                            ConstantVectorLoop(v, plane, () =>
                            {
                                w.Line($"{v.Type} h = ({v.Load("x", "i")} - m) * k;");
                                w.Line(v.Store("h", "xh", "i"));
                                w.Line($"{v.Type} value = (g * h) + b;");
                                w.Line(v.Store(act.Vectorised ? ActivationText.Apply(v, act, "value") : "value", "y", "i"));
                            });
                        });

                        using (w.Block(Invariant($"for (; i < {plane}; i++)")))
                        {
                            w.Line($"float h = ({At("x", "i")} - mu) * inverse;");
                            w.Line($"{At("xh", "i")} = h;");
                            w.Line($"float value = (gamma * h) + beta;");
                            w.Line($"{At("y", "i")} = {(act.Vectorised ? ActivationText.Apply(act, "value") : "value")};");
                        }
                    }
                }

                if (!act.Vectorised)
                {
                    using (w.Block(Invariant($"for (int j = 0; j < batch * {s.Length}; j++)")))
                    {
                        w.Line($"{At("output", "j")} = {ActivationText.Apply(act, At("output", "j"))};");
                    }
                }
            }

            w.Line();
            Doc(w, Invariant($"<c>{name}</c>'s parameter gradients, per channel: Σ dY · x̂ (the scale's) into <c>sums[c]</c>, Σ dY (the shift's) into <c>sums[{c} + c]</c>."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {name}StatisticsGradient(ref float normalized, ref float gradOutput, ref float sums, int batch)"))
            using (w.Block(Invariant($"for (int c = 0; c < {c}; c++)")))
            {
                w.Line("double scale = 0, shift = 0;");
                using (w.Block("for (int n = 0; n < batch; n++)"))
                {
                    w.Line($"ref float g = ref {planeAt("gradOutput")};");
                    w.Line(Invariant($"shift += PlaneSum(ref g, {plane});"));
                    w.Line(Invariant($"scale += PlaneDot(ref g, ref {planeAt("normalized")}, {plane});"));
                }

                w.Line();
                w.Line($"{At("sums", "c")} = (float)scale;");
                w.Line($"{At("sums", Invariant($"{c} + c"))} = (float)shift;");
            }

            w.Line();
            Doc(w, Invariant($"<c>{name}</c>'s input gradient through the batch statistics: dX = scale / √(variance + ε) · (dY − mean(dY) − x̂ · mean(dY · x̂)), per channel."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {name}InputGradient(ref float normalized, ref float gradOutput, ref float scale, ref float variance, ref float sums, ref float gradInput, int batch)"))
            {
                w.Line(Invariant($"double count = (double)batch * {plane};"));
                using (w.Block(Invariant($"for (int c = 0; c < {c}; c++)")))
                {
                    w.Line($"float k = (float)({At("scale", "c")} / KgMath.Sqrt((double){At("variance", "c")} + {eps}));");
                    w.Line($"float a = (float)({At("sums", Invariant($"{c} + c"))} / count), b = (float)({At("sums", "c")} / count);");
                    using (w.Block("for (int n = 0; n < batch; n++)"))
                    {
                        w.Line($"ref float g = ref {planeAt("gradOutput")}, xh = ref {planeAt("normalized")}, dx = ref {planeAt("gradInput")};");
                        w.Line("int i = 0;");
                        VectorPaths(plane, v =>
                        {
                            w.Line($"{v.Type} kv = {v.Broadcast("k")}, av = {v.Broadcast("a")}, bv = {v.Broadcast("b")};");
                            ConstantVectorLoop(v, plane, () => w.Line(v.Store($"kv * ({v.Load("g", "i")} - av - ({v.Load("xh", "i")} * bv))", "dx", "i")));
                        });

                        using (w.Block(Invariant($"for (; i < {plane}; i++)")))
                        {
                            w.Line($"{At("dx", "i")} = k * ({At("g", "i")} - a - ({At("xh", "i")} * b));");
                        }
                    }
                }
            }
        }

        /// <summary>
        /// A batch norm folded into the convolution before it, for inference: each output channel's weights times
        /// <c>scale / √(running_var + ε)</c>, and its bias <c>(b − running_mean) · that + shift</c>.
        /// </summary>
        public void BatchNormFold(string name, BatchNormSpec s, NetworkLayer conv)
        {
            int perChannel = NetworkEmitter.WeightShape(conv).Shape.Skip(1).Aggregate(1, (a, b) => a * b);
            string eps = Invariant($"{s.Epsilon.ToString("R", CultureInfo.InvariantCulture)}f");
            Doc(w, Invariant($"<c>{conv.Name}</c>'s weights and bias with <c>{name}</c> folded in, from the running statistics: {perChannel} weights per output channel."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {name}Fold(ref float weights, {(conv.HasBias ? "ref float bias, " : "")}ref float scale, ref float shift, ref float mean, ref float variance, ref float foldedWeights, ref float foldedBias)"))
            using (w.Block(Invariant($"for (int o = 0; o < {s.Channels}; o++)")))
            {
                w.Line($"double factor = {At("scale", "o")} / KgMath.Sqrt((double){At("variance", "o")} + {eps});");
                w.Line(conv.HasBias
                    ? $"{At("foldedBias", "o")} = (float)((((double){At("bias", "o")} - {At("mean", "o")}) * factor) + {At("shift", "o")});"
                    : $"{At("foldedBias", "o")} = (float)({At("shift", "o")} - ({At("mean", "o")} * factor));");
                w.Line("float f = (float)factor;");
                w.Line(Invariant($"ref float from = ref {At("weights", $"o * {perChannel}")}, to = ref {At("foldedWeights", $"o * {perChannel}")};"));
                w.Line("int i = 0;");
                VectorPaths(perChannel, v =>
                {
                    w.Line($"{v.Type} fv = {v.Broadcast("f")};");
                    ConstantVectorLoop(v, perChannel, () => w.Line(v.Store($"{v.Load("from", "i")} * fv", "to", "i")));
                });

                using (w.Block(Invariant($"for (; i < {perChannel}; i++)")))
                {
                    w.Line($"{At("to", "i")} = {At("from", "i")} * f;");
                }
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
        /// Y[n, o] = act(b[o] + Σᵢ X[n, i] · W[o, i]) for a batch: a tile of three samples × four outputs keeps twelve dot
        /// products in registers, so each weight row is read once per three samples instead of once per sample.
        /// </summary>
        public void DenseForward(string layer, DenseSpec d)
        {
            int inputs = d.InFeatures, outputs = d.OutFeatures;
            Doc(w, Invariant($"<c>{layer}</c> forward for a batch: dense {inputs} → {outputs}, {(d.Method.HasBias ? "bias" : "no bias")}, activation {d.Activation}, in tiles of three samples × four outputs."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {layer}Forward(ref float input, ref float weights, {(d.Method.HasBias ? "ref float bias, " : "")}ref float output, int batch)"))
            {
                w.Line("int n = 0;");
                BlockedOverBatch("n", 3, samples =>
                {
                    for (int k = 0; k < samples; k++)
                    {
                        w.Line(Invariant($"ref float x{k} = ref {At("input", Row("n", k, inputs))};"));
                        w.Line(Invariant($"ref float y{k} = ref {At("output", Row("n", k, outputs))};"));
                    }

                    w.Line("int o = 0;");
                    BlockedOverConstant("o", outputs, 4, block =>
                    {
                        DenseForwardTile(d, samples, block);
                    });
                });
            }
        }

        private void DenseForwardTile(DenseSpec d, int samples, int block)
        {
            int inputs = d.InFeatures;
            var tile = (from k in Enumerable.Range(0, samples) from j in Enumerable.Range(0, block) select (k, j)).ToArray();
            for (int j = 0; j < block; j++)
            {
                w.Line(Invariant($"ref float w{j} = ref {At("weights", Row("o", j, inputs))};"));
            }

            w.Line($"float {string.Join(", ", tile.Select(t => Invariant($"t{t.k}{t.j} = 0f")))};");
            w.Line("int i = 0;");
            VectorPaths(inputs, v =>
            {
                w.Line($"{v.Type} {string.Join(", ", tile.Select(t => Invariant($"a{t.k}{t.j} = {v.Zero}")))};");
                using (w.Block(Invariant($"for (; i <= {inputs - v.Width}; i += {v.Width})")))
                {
                    for (int k = 0; k < samples; k++)
                    {
                        w.Line(Invariant($"{v.Type} v{k} = {v.Load($"x{k}", "i")};"));
                    }

                    for (int j = 0; j < block; j++)
                    {
                        w.Line(Invariant($"{v.Type} u{j} = {v.Load($"w{j}", "i")};"));
                        for (int k = 0; k < samples; k++)
                        {
                            w.Line(Invariant($"a{k}{j} = {v.MultiplyAdd($"v{k}", $"u{j}", $"a{k}{j}")};"));
                        }
                    }
                }

                foreach ((int k, int j) in tile)
                {
                    w.Line(Invariant($"t{k}{j} = {v.Sum(Invariant($"a{k}{j}"))};"));
                }
            });

            using (w.Block(Invariant($"for (; i < {inputs}; i++)")))
            {
                for (int j = 0; j < block; j++)
                {
                    w.Line(Invariant($"float u{j} = {At($"w{j}", "i")};"));
                }

                foreach ((int k, int j) in tile)
                {
                    w.Line(Invariant($"t{k}{j} += {At($"x{k}", "i")} * u{j};"));
                }
            }

            foreach ((int k, int j) in tile)
            {
                if (d.Method.HasBias)
                {
                    w.Line(Invariant($"t{k}{j} += {At("bias", Plus("o", j))};"));
                }

                w.Line(Invariant($"{At($"y{k}", Plus("o", j))} = {ActivationText.Apply(d.Activation, Invariant($"t{k}{j}"))};"));
            }
        }

        /// <summary>
        /// dW[o, i] = Σₙ dY[n, o] · X[n, i]: a tile of four outputs × two vectors of inputs stays in registers over the
        /// whole batch, so every weight gradient is written once and the batch's input columns stay in L1 across all outputs.
        /// </summary>
        public void DenseWeightGradient(string layer, DenseSpec d)
        {
            Doc(w, Invariant($"The gradient of <c>{layer}</c>'s weights [{d.OutFeatures}, {d.InFeatures}]: each output gradient times the input, summed over the batch in register tiles of four outputs × two vectors of inputs."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {layer}WeightGradient(ref float input, ref float gradOutput, ref float gradWeights, int batch)"))
            {
                Product(d.InFeatures, d.OutFeatures, accumulate: false);
            }
        }

        /// <summary>
        /// The body of <c>(ref float input, ref float gradOutput, ref float gradWeights, int batch)</c>:
        /// <c>gradWeights[o, i] (+)= Σₙ gradOutput[n, o] · input[n, i]</c>, in register tiles of four outputs × two vectors of
        /// inputs over the whole of <c>batch</c>; with <paramref name="accumulate"/> the sums are added to what is there.
        /// </summary>
        private void Product(int inputs, int outputs, bool accumulate)
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
        /// A convolution's input gradient as a matrix product, for one that is not a stride-1 forward convolution in reverse
        /// (a stride or dilation) and whose output rows are narrow: per sample, <c>columns[p, (i, ky, kx)] = Σₒ dY[p, o] ·
        /// W[o, (i, ky, kx)]</c> in the dense layers' register tiles, then each column added back to the input positions its
        /// window read (col2im). The output gradient is transposed by <see cref="ConvWeightGradientByProduct"/>'s kernel.
        /// </summary>
        public void ConvInputGradientByProduct(string layer, ConvSpec c)
        {
            Conv2DGeometry g = c.Geometry;
            int outputs = c.OutChannels, field = c.InChannels * c.KernelHeight * c.KernelWidth, positions = g.OutputHeight * g.OutputWidth;
            int plane = c.InChannels * g.Height * g.Width;
            Doc(w, Invariant($"The gradient of <c>{layer}</c>'s input, a sample at a time: columns = dYᵀ · W ({positions} positions × {field} taps, in register tiles), each added back where its window read."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {layer}InputGradient(ref float gradOutput, ref float weights, ref float gradInput, ref float columns, int batch)"))
            {
                Clear("gradInput", Invariant($"batch * {plane}"));
                w.Line(Invariant($"ref float transposed = ref {At("columns", Invariant($"{positions * field}"))};"));
                using (w.Block("for (int n = 0; n < batch; n++)"))
                {
                    w.Line(Invariant($"{layer}TransposeGradient(ref {At("gradOutput", Invariant($"n * {outputs * positions}"))}, ref transposed);"));
                    w.Line(Invariant($"{layer}Spread(ref transposed, ref weights, ref columns, {positions});"));
                    w.Line(Invariant($"{layer}Refold(ref columns, ref {At("gradInput", Invariant($"n * {plane}"))});"));
                }
            }

            w.Line();
            Doc(w, Invariant($"<c>{layer}</c>'s input gradient for one sample, unfolded: <c>gradInput[p, k] = Σₒ gradOutput[p, o] · weights[o, k]</c> over <paramref name=\"batch\"/> = {positions} positions."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {layer}Spread(ref float gradOutput, ref float weights, ref float gradInput, int batch)"))
            {
                Spread(field, outputs);
            }

            w.Line();
            Doc(w, Invariant($"Adds each of the {positions} unfolded columns of <c>{layer}</c>'s input gradient to the input positions its window read (col2im)."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {layer}Refold(ref float columns, ref float gradInput)"))
            {
                EachTap(c, (tap, source, rowInside, colInside) =>
                {
                    using (w.Block($"if ({rowInside} && {colInside})"))
                    {
                        w.Line($"{At("gradInput", source)} += {At("column", tap)};");
                    }
                });
            }
        }

        /// <summary>
        /// A convolution's weight gradient as a matrix product, for output rows too narrow to fill a vector: per sample, the
        /// input unfolded so that each output position's receptive field is one row (<c>columns[p, (i, ky, kx)]</c>), the output
        /// gradient transposed (<c>[p, o]</c>), and <c>dW[o, (i, ky, kx)] += Σₚ dY[p, o] · columns[p, (i, ky, kx)]</c> in the
        /// dense layers' register tiles, with the vectors along the weights' rows.
        /// </summary>
        public void ConvWeightGradientByProduct(string layer, ConvSpec c)
        {
            Conv2DGeometry g = c.Geometry;
            int outputs = c.OutChannels, field = c.InChannels * c.KernelHeight * c.KernelWidth, positions = g.OutputHeight * g.OutputWidth;
            Doc(w, Invariant($"The gradient of <c>{layer}</c>'s weights [{outputs}, {c.InChannels}, {c.KernelHeight}, {c.KernelWidth}], a sample at a time: dW += dYᵀ · columns, {positions} output positions × {field} taps, in register tiles."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {layer}WeightGradient(ref float input, ref float gradOutput, ref float gradWeights, ref float columns, int batch)"))
            {
                Clear("gradWeights", Invariant($"{outputs * field}"));
                w.Line(Invariant($"ref float transposed = ref {At("columns", Invariant($"{positions * field}"))};"));
                using (w.Block("for (int n = 0; n < batch; n++)"))
                {
                    w.Line(Invariant($"{layer}Unfold(ref {At("input", Invariant($"n * {c.InChannels * g.Height * g.Width}"))}, ref columns);"));
                    w.Line(Invariant($"{layer}TransposeGradient(ref {At("gradOutput", Invariant($"n * {outputs * positions}"))}, ref transposed);"));
                    w.Line(Invariant($"{layer}Product(ref columns, ref transposed, ref gradWeights, {positions});"));
                }
            }

            w.Line();
            Doc(w, Invariant($"One sample of <c>{layer}</c>'s output gradient transposed, [{outputs}, {positions}] as [{positions}, {outputs}], for its products."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {layer}TransposeGradient(ref float gradOutput, ref float transposed)"))
            using (w.Block(Invariant($"for (int o = 0; o < {outputs}; o++)")))
            using (w.Block(Invariant($"for (int p = 0; p < {positions}; p++)")))
            {
                w.Line(Invariant($"{At("transposed", Invariant($"(p * {outputs}) + o"))} = {At("gradOutput", Invariant($"(o * {positions}) + p"))};"));
            }

            w.Line();
            Doc(w, Invariant($"<c>{layer}</c>'s weight gradient for one sample: <c>gradWeights[o, k] += Σₚ gradOutput[p, o] · input[p, k]</c> over <paramref name=\"batch\"/> = {positions} positions."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {layer}Product(ref float input, ref float gradOutput, ref float gradWeights, int batch)"))
            {
                Product(field, outputs, accumulate: true);
            }

            w.Line();
            Doc(w, Invariant($"One sample of <c>{layer}</c>'s input unfolded: for each of the {positions} output positions, the {field} inputs its window reads (0 in the padding), in the weights' order (i, ky, kx)."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {layer}Unfold(ref float input, ref float columns)"))
            {
                EachTap(c, (tap, source, rowInside, colInside) =>
                    w.Line($"{At("column", tap)} = {rowInside} && {colInside} ? {At("input", source)} : 0f;"));
            }
        }

        /// <summary>
        /// The loops over a convolution's output positions and window taps that im2col and col2im share: per position the
        /// row of <c>columns</c> it owns (<c>column</c>), per tap <paramref name="body"/>(its index in that row, the input
        /// element's offset in the sample, whether its row and its column are inside the plane). A loop of one is a constant.
        /// </summary>
        private void EachTap(ConvSpec c, Action<string, string, string, string> body)
        {
            Conv2DGeometry g = c.Geometry;
            int field = c.InChannels * c.KernelHeight * c.KernelWidth;
            string? Loop(string variable, int count) => count == 1 ? null : variable;
            string? i = Loop("i", c.InChannels), ky = Loop("ky", c.KernelHeight), kx = Loop("kx", c.KernelWidth);
            string? y = Loop("y", g.OutputHeight), x = Loop("x", g.OutputWidth);
            using (y is null ? default(CodeWriter.Scope?) : w.Block(Invariant($"for (int y = 0; y < {g.OutputHeight}; y++)")))
            using (x is null ? default(CodeWriter.Scope?) : w.Block(Invariant($"for (int x = 0; x < {g.OutputWidth}; x++)")))
            {
                w.Line(Invariant($"ref float column = ref {At("columns", Offset(0, (y, (long)g.OutputWidth * field), (x, field)))};"));
                using (i is null ? default(CodeWriter.Scope?) : w.Block(Invariant($"for (int i = 0; i < {c.InChannels}; i++)")))
                using (ky is null ? default(CodeWriter.Scope?) : w.Block(Invariant($"for (int ky = 0; ky < {c.KernelHeight}; ky++)")))
                {
                    w.Line($"int row = {Offset(-c.PadTop, (y, c.StrideHeight), (ky, c.DilationHeight))};");
                    using (kx is null ? default(CodeWriter.Scope?) : w.Block(Invariant($"for (int kx = 0; kx < {c.KernelWidth}; kx++)")))
                    {
                        w.Line($"int col = {Offset(-c.PadLeft, (x, c.StrideWidth), (kx, c.DilationWidth))};");
                        string tap = Offset(0, (i, (long)c.KernelHeight * c.KernelWidth), (ky, c.KernelWidth), (kx, 1));
                        string source = Offset(0, (i, (long)g.Height * g.Width), ("row", g.Width), ("col", 1));
                        body(tap, source, Invariant($"(uint)row < {g.Height}"), Invariant($"(uint)col < {g.Width}"));
                    }
                }
            }
        }

        /// <summary>dX[n, i] = Σₒ dY[n, o] · W[o, i]: a tile of four samples × two vectors of inputs stays in registers over all outputs.</summary>
        public void DenseInputGradient(string layer, DenseSpec d)
        {
            Doc(w, Invariant($"The gradient of <c>{layer}</c>'s input: each sample's output gradients times the weights [{d.OutFeatures}, {d.InFeatures}], in register tiles of four samples × two vectors of inputs."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {layer}InputGradient(ref float gradOutput, ref float weights, ref float gradInput, int batch)"))
            {
                Spread(d.InFeatures, d.OutFeatures);
            }
        }

        /// <summary>
        /// The body of <c>(ref float gradOutput, ref float weights, ref float gradInput, int batch)</c>:
        /// <c>gradInput[n, i] = Σₒ gradOutput[n, o] · weights[o, i]</c>, in register tiles of four samples × two vectors of inputs.
        /// </summary>
        private void Spread(int inputs, int outputs)
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

        /// <summary>
        /// dW[o, i, ky, kx] = Σₙ Σ_y Σ_x dY[n, o, y, x] · X[n, i, y·sh + ky·dh − pt, x·sw + kx·dw − pl]: per (o, i, ky),
        /// one accumulator per kx, so each output-gradient vector is loaded once for the whole kernel row.
        /// </summary>
        public void ConvWeightGradient(string layer, ConvSpec c)
        {
            Conv2DGeometry g = c.Geometry;
            int inPerGroup = g.InChannelsPerGroup, taps = c.KernelWidth;
            bool vector = c.StrideWidth == 1 && taps <= 12;
            Doc(w, Invariant($"The gradient of <c>{layer}</c>'s weights [{c.OutChannels}, {inPerGroup}, {c.KernelHeight}, {c.KernelWidth}]: output gradients times the inputs under each tap, summed over positions and the batch."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {layer}WeightGradient(ref float input, ref float gradOutput, ref float gradWeights, int batch)"))
            using (w.Block(Invariant($"for (int o = 0; o < {c.OutChannels}; o++)")))
            using (inPerGroup > 1 ? w.Block(Invariant($"for (int i = 0; i < {inPerGroup}; i++)")) : default(CodeWriter.Scope?))
            {
                string i = inPerGroup > 1 ? "i" : "0";
                w.Line(Invariant($"ref float weights = ref {At("gradWeights", Offset(0, ("o", inPerGroup * c.KernelHeight * c.KernelWidth), (i, c.KernelHeight * c.KernelWidth)))};"));
                for (int ky = 0; ky < c.KernelHeight; ky++)
                {
                    (int yLo, int yHi) = Valid(ky, c.StrideHeight, c.DilationHeight, c.PadTop, g.Height, g.OutputHeight);
                    int wy = c.FlipKernel ? c.KernelHeight - 1 - ky : ky;
                    w.Line(Invariant($"// Kernel row {ky}: output rows {yLo}…{yHi - 1} see input rows inside the plane."));
                    if (yLo >= yHi)
                    {
                        for (int kx = 0; kx < taps; kx++)
                        {
                            w.Line(Invariant($"{At("weights", Invariant($"{(wy * c.KernelWidth) + Flip(c, kx)}"))} = 0f;"));
                        }

                        continue;
                    }

                    using (w.Block(""))
                    {
                        w.Line($"float {string.Join(", ", Enumerable.Range(0, taps).Select(kx => Invariant($"s{kx} = 0f")))};");
                        var row = new WeightGradientRow(c, ky, yLo, yHi, i);
                        if (vector)
                        {
                            VectorPaths(row.CommonEnd - row.CommonStart, v =>
                            {
                                w.Line($"{v.Type} {string.Join(", ", Enumerable.Range(0, taps).Select(kx => Invariant($"a{kx} = {v.Zero}")))};");
                                ConvWeightGradientRows(row, v);
                                for (int kx = 0; kx < taps; kx++)
                                {
                                    w.Line(Invariant($"s{kx} += {v.Sum(Invariant($"a{kx}"))};"));
                                }
                            });

                            if (row.CommonEnd - row.CommonStart >= vectorPaths.Min(p => p.Width))
                            {
                                using (w.Block("else"))
                                {
                                    ConvWeightGradientRows(row, null);
                                }
                            }
                            else
                            {
                                ConvWeightGradientRows(row, null);
                            }
                        }
                        else
                        {
                            ConvWeightGradientRows(row, null);
                        }

                        for (int kx = 0; kx < taps; kx++)
                        {
                            w.Line(Invariant($"{At("weights", Invariant($"{(wy * c.KernelWidth) + Flip(c, kx)}"))} = s{kx};"));
                        }
                    }
                }
            }
        }

        /// <summary>One kernel row of a weight gradient: the layer, the row, the output rows it sees, and the input channel (a variable or 0).</summary>
        private sealed class WeightGradientRow
        {
            public WeightGradientRow(ConvSpec c, int ky, int yLo, int yHi, string channel)
            {
                Conv = c;
                Ky = ky;
                YLo = yLo;
                YHi = yHi;
                Conv2DGeometry g = c.Geometry;
                Channel = c.Groups == 1 ? channel : Offset(0, (Invariant($"(o / {g.OutChannelsPerGroup})"), g.InChannelsPerGroup), (channel, 1));
                Ranges = Enumerable.Range(0, c.KernelWidth).Select(kx => Valid(kx, c.StrideWidth, c.DilationWidth, c.PadLeft, g.Width, g.OutputWidth)).ToArray();
                CommonStart = Ranges.Max(r => r.Lo);
                CommonEnd = Ranges.Min(r => r.Hi);
            }

            public ConvSpec Conv { get; }

            public int Ky { get; }

            public int YLo { get; }

            public int YHi { get; }

            /// <summary>The input channel read, as C#.</summary>
            public string Channel { get; }

            /// <summary>Per tap, the output columns whose input is inside the row.</summary>
            public (int Lo, int Hi)[] Ranges { get; }

            /// <summary>The output columns every tap reads inside the row: [start, end).</summary>
            public int CommonStart { get; }

            public int CommonEnd { get; }
        }

        /// <summary>
        /// The loops over the batch and output rows of one kernel row: with <paramref name="v"/>, the columns every tap
        /// reads inside the row in vectors (accumulators <c>a0…</c>), the rest in scalars (<c>s0…</c>); without, every tap's
        /// columns in scalars.
        /// </summary>
        private void ConvWeightGradientRows(WeightGradientRow row, SimdPath? v)
        {
            ConvSpec c = row.Conv;
            Conv2DGeometry g = c.Geometry;
            int taps = c.KernelWidth, plane = g.Height * g.Width, outPlane = g.OutputHeight * g.OutputWidth;
            int common0 = row.CommonStart, common1 = row.CommonEnd;
            using (w.Block("for (int n = 0; n < batch; n++)"))
            {
                w.Line(Invariant($"ref float dy = ref {At("gradOutput", Invariant($"((n * {c.OutChannels}) + o) * {outPlane}"))};"));
                w.Line(Invariant($"ref float x = ref {At("input", Invariant($"({Offset(0, ("n", c.InChannels), (row.Channel, 1))}) * {plane}"))};"));
                using (w.Block(Invariant($"for (int y = {row.YLo}; y < {row.YHi}; y++)")))
                {
                    w.Line(Invariant($"ref float dyRow = ref {At("dy", Invariant($"y * {g.OutputWidth}"))};"));
                    w.Line(Invariant($"ref float xRow = ref {At("x", Invariant($"({Plus(Times("y", c.StrideHeight), (row.Ky * c.DilationHeight) - c.PadTop)}) * {g.Width}"))};"));
                    if (v is null)
                    {
                        for (int kx = 0; kx < taps; kx++)
                        {
                            if (row.Ranges[kx].Hi > row.Ranges[kx].Lo)
                            {
                                using (w.Block(Invariant($"for (int col = {row.Ranges[kx].Lo}; col < {row.Ranges[kx].Hi}; col++)")))
                                {
                                    w.Line(Invariant($"s{kx} += {At("dyRow", "col")} * {At("xRow", Plus(Times("col", c.StrideWidth), (kx * c.DilationWidth) - c.PadLeft))};"));
                                }
                            }
                        }

                        return;
                    }

                    // Every tap is inside the row for these columns: one load of dY feeds every tap.
                    int width = v.Width, tail = (common1 - common0) % width;
                    w.Line(Invariant($"int col = {common0};"));
                    using (w.Block(Invariant($"for (; col <= {common1 - width}; col += {width})")))
                    {
                        w.Line($"{v.Type} d = {v.Load("dyRow", "col")};");
                        for (int kx = 0; kx < taps; kx++)
                        {
                            w.Line(Invariant($"a{kx} = {v.MultiplyAdd("d", v.Load("xRow", Plus("col", (kx * c.DilationWidth) - c.PadLeft)), $"a{kx}")};"));
                        }
                    }

                    if (tail > 0)
                    {
                        // The last columns as one vector ending at the row's end, the lanes already summed masked off.
                        w.Line(Invariant($"{v.Type} last = {v.Load("dyRow", common1 - width)} * {v.Constant(l => l < width - tail ? "0f" : "1f")};"));
                        for (int kx = 0; kx < taps; kx++)
                        {
                            w.Line(Invariant($"a{kx} = {v.MultiplyAdd("last", v.Load("xRow", common1 - width + (kx * c.DilationWidth) - c.PadLeft), $"a{kx}")};"));
                        }
                    }

                    // The border columns where some taps fall in the padding.
                    for (int kx = 0; kx < taps; kx++)
                    {
                        foreach ((int from, int to) in new[] { (row.Ranges[kx].Lo, common0), (common1, row.Ranges[kx].Hi) })
                        {
                            if (to > from)
                            {
                                if (to - from == 1)
                                {
                                    // One column: a statement, not a loop that runs once.
                                    w.Line(Invariant($"s{kx} += {At("dyRow", $"{from}")} * {At("xRow", $"{from + (kx * c.DilationWidth) - c.PadLeft}")};"));
                                }
                                else
                                {
                                    using (w.Block(Invariant($"for (int edge = {from}; edge < {to}; edge++)")))
                                    {
                                        w.Line(Invariant($"s{kx} += {At("dyRow", "edge")} * {At("xRow", Plus("edge", (kx * c.DilationWidth) - c.PadLeft))};"));
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        /// <summary>dX: each output gradient, times each tap's weight, added to the input position that tap read (a row at a time).</summary>
        public void ConvInputGradient(string layer, ConvSpec c)
        {
            Conv2DGeometry g = c.Geometry;
            int inPerGroup = g.InChannelsPerGroup, plane = g.Height * g.Width, outPlane = g.OutputHeight * g.OutputWidth;
            bool vector = c.StrideWidth == 1;
            Doc(w, Invariant($"The gradient of <c>{layer}</c>'s input: each output gradient row, times each tap's weight, added to the input row and columns that tap read."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {layer}InputGradient(ref float gradOutput, ref float weights, ref float gradInput, int batch)"))
            {
                Clear("gradInput", Invariant($"batch * {c.InChannels * plane}"));
                using (w.Block("for (int n = 0; n < batch; n++)"))
                using (w.Block(Invariant($"for (int o = 0; o < {c.OutChannels}; o++)")))
                {
                    w.Line(Invariant($"ref float dy = ref {At("gradOutput", Invariant($"((n * {c.OutChannels}) + o) * {outPlane}"))};"));
                    using (w.Block(Invariant($"for (int y = 0; y < {g.OutputHeight}; y++)")))
                    {
                        w.Line(Invariant($"ref float dyRow = ref {At("dy", Invariant($"y * {g.OutputWidth}"))};"));
                        for (int ky = 0; ky < c.KernelHeight; ky++)
                        {
                            int wy = c.FlipKernel ? c.KernelHeight - 1 - ky : ky;
                            using (w.Block(""))
                            {
                                w.Line(Invariant($"int row = {Plus(Times("y", c.StrideHeight), (ky * c.DilationHeight) - c.PadTop)};"));
                                using (w.Block(Invariant($"if ((uint)row < {g.Height})")))
                                using (inPerGroup > 1 ? w.Block(Invariant($"for (int i = 0; i < {inPerGroup}; i++)")) : default(CodeWriter.Scope?))
                                {
                                    string i = inPerGroup > 1 ? "i" : "0";
                                    string channel = c.Groups == 1 ? i : Offset(0, (Invariant($"(o / {g.OutChannelsPerGroup})"), inPerGroup), (i, 1));
                                    string taps = Offset(wy * c.KernelWidth, ("o", inPerGroup * c.KernelHeight * c.KernelWidth), (i, c.KernelHeight * c.KernelWidth));
                                    w.Line(Invariant($"ref float dxRow = ref {At("gradInput", Invariant($"(({Offset(0, ("n", c.InChannels), (channel, 1))}) * {plane}) + {Times("row", g.Width)}"))};"));
                                    w.Line(Invariant($"ref float taps = ref {At("weights", taps)};"));
                                    for (int kx = 0; kx < c.KernelWidth; kx++)
                                    {
                                        (int lo, int hi) = Valid(kx, c.StrideWidth, c.DilationWidth, c.PadLeft, g.Width, g.OutputWidth);
                                        if (hi <= lo)
                                        {
                                            continue;
                                        }

                                        int shift = (kx * c.DilationWidth) - c.PadLeft;
                                        using (w.Block(""))
                                        {
                                            w.Line(Invariant($"float weight = {At("taps", Invariant($"{Flip(c, kx)}"))};"));
                                            w.Line(Invariant($"int col = {lo};"));
                                            if (vector)
                                            {
                                                VectorPaths(hi - lo, v =>
                                                {
                                                    w.Line($"{v.Type} b = {v.Broadcast("weight")};");
                                                    using (w.Block(Invariant($"for (; col <= {hi - v.Width}; col += {v.Width})")))
                                                    {
                                                        string at = Plus("col", shift);
                                                        w.Line(v.Store(v.MultiplyAdd("b", v.Load("dyRow", "col"), v.Load("dxRow", at)), "dxRow", at));
                                                    }
                                                });
                                            }

                                            using (w.Block(Invariant($"for (; col < {hi}; col++)")))
                                            {
                                                w.Line(Invariant($"{At("dxRow", Plus(Times("col", c.StrideWidth), shift))} += weight * {At("dyRow", "col")};"));
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        /// <summary>Max pool: each output gradient goes to the first largest input of its window; average pool: shared equally.</summary>
        public void PoolInputGradient(string layer, PoolSpec p)
        {
            Pool2DGeometry g = p.Geometry;
            bool max = p.Kind == PoolKind.Max;
            Doc(w, max
                ? Invariant($"The gradient of <c>{layer}</c>'s input: each output gradient routed to the first largest input of its {p.KernelHeight}×{p.KernelWidth} window (a NaN wins, as in the forward pass).")
                : Invariant($"The gradient of <c>{layer}</c>'s input: each output gradient shared equally by the inputs of its {p.KernelHeight}×{p.KernelWidth} window, divided as in the forward pass."));
            w.Line(AggressiveOptimization);
            using (w.Block(max
                ? $"public static void {layer}InputGradient(ref float input, ref float output, ref float gradOutput, ref float gradInput, int batch)"
                : $"public static void {layer}InputGradient(ref float gradOutput, ref float gradInput, int batch)"))
            {
                // Windows that tile the plane exactly (no padding, stride = window) write every input gradient, the
                // largest's and zeros, so nothing is cleared first; otherwise the gradients are added into a cleared plane.
                bool tiles = max && !g.IsDilated && p.PadTop == 0 && p.PadBottom == 0 && p.PadLeft == 0 && p.PadRight == 0 && p.StrideHeight == p.KernelHeight && p.StrideWidth == p.KernelWidth
                    && p.Height % p.KernelHeight == 0 && p.Width % p.KernelWidth == 0 && p.KernelHeight * p.KernelWidth <= 16;
                bool pairs = tiles && p.KernelHeight == 2 && p.KernelWidth == 2;
                if (!tiles)
                {
                    Clear("gradInput", Invariant($"batch * {g.InputLength}"));
                }

                using (w.Block(Invariant($"for (int plane = 0; plane < batch * {p.Channels}; plane++)")))
                {
                    if (max)
                    {
                        w.Line(Invariant($"ref float source = ref {At("input", Invariant($"plane * {p.Height * p.Width}"))};"));
                    }

                    w.Line(Invariant($"ref float dx = ref {At("gradInput", Invariant($"plane * {p.Height * p.Width}"))};"));
                    w.Line(Invariant($"ref float dy = ref {At("gradOutput", Invariant($"plane * {g.OutputHeight * g.OutputWidth}"))};"));
                    if (max)
                    {
                        w.Line(Invariant($"ref float pooled = ref {At("output", Invariant($"plane * {g.OutputHeight * g.OutputWidth}"))};"));
                    }

                    using (w.Block(Invariant($"for (int y = 0; y < {g.OutputHeight}; y++)")))
                    {
                        w.Line(Invariant($"int top = {Plus(Times("y", p.StrideHeight), -p.PadTop)};"));
                        if (!g.IsDilated)
                        {
                            w.Line(Invariant($"int y0 = KgMath.Max(top, 0), y1 = KgMath.Min(top + {p.KernelHeight}, {p.Height});"));
                        }

                        w.Line("int x = 0;");
                        if (pairs)
                        {
                            PairRouting(p, g);
                        }

                        using (w.Block(Invariant($"for (; x < {g.OutputWidth}; x++)")))
                        {
                            w.Line(Invariant($"int left = {Plus(Times("x", p.StrideWidth), -p.PadLeft)};"));
                            if (!g.IsDilated)
                            {
                                w.Line(Invariant($"int x0 = KgMath.Max(left, 0), x1 = KgMath.Min(left + {p.KernelWidth}, {p.Width});"));
                            }

                            w.Line(Invariant($"float gradient = {At("dy", Invariant($"(y * {g.OutputWidth}) + x"))};"));
                            if (tiles)
                            {
                                // No padding: every window is whole, so its taps are unrolled at constant offsets.
                                w.Line(Invariant($"int origin = (top * {p.Width}) + left, best = origin;"));
                                w.Line($"float largest = {At("source", "best")};");
                                for (int r = 0; r < p.KernelHeight; r++)
                                {
                                    for (int q = 0; q < p.KernelWidth; q++)
                                    {
                                        if (r == 0 && q == 0)
                                        {
                                            continue;
                                        }

                                        // Without branches (the comparisons are data, not patterns): take a value larger than the
                                        // largest so far, or a NaN, unless the largest so far is already a NaN.
                                        int offset = (r * p.Width) + q;
                                        w.Line(Invariant($"float value{offset} = {At("source", Invariant($"origin + {offset}"))};"));
                                        w.Line(Invariant($"bool take{offset} = !(value{offset} <= largest) & !float.IsNaN(largest);"));
                                        w.Line(Invariant($"int mask{offset} = -{Unsafe}.As<bool, byte>(ref take{offset});"));
                                        w.Line(Invariant($"best = (best & ~mask{offset}) | ((origin + {offset}) & mask{offset});"));
                                        w.Line(Invariant($"largest = KgMathF.Max(largest, value{offset});"));
                                    }
                                }

                                for (int r = 0; r < p.KernelHeight; r++)
                                {
                                    for (int q = 0; q < p.KernelWidth; q++)
                                    {
                                        w.Line(Invariant($"{At("dx", Invariant($"origin + {(r * p.Width) + q}"))} = 0f;"));
                                    }
                                }

                                w.Line($"{At("dx", "best")} = gradient;");
                            }
                            else if (max && g.IsDilated)
                            {
                                // Dilated taps, DilationHeight rows and DilationWidth columns apart: the first on the input starts
                                // the search, and the first largest (or the first NaN) wins, as in the forward pass.
                                w.Line("int best = -1;");
                                w.Line("float largest = 0f;");
                                using (w.Block(Invariant($"for (int i = 0; i < {p.KernelHeight}; i++)")))
                                {
                                    w.Line(Invariant($"int r = top + (i * {p.DilationHeight});"));
                                    using (w.Block(Invariant($"if ((uint)r >= {p.Height}u)")))
                                    {
                                        w.Line("continue;");
                                    }

                                    using (w.Block(Invariant($"for (int j = 0; j < {p.KernelWidth}; j++)")))
                                    {
                                        w.Line(Invariant($"int s = left + (j * {p.DilationWidth});"));
                                        w.Line(Invariant($"float value = (uint)s < {p.Width}u ? {At("source", Invariant($"(r * {p.Width}) + s"))} : float.NegativeInfinity;"));
                                        using (w.Block(Invariant($"if ((uint)s < {p.Width}u && (best < 0 || (!float.IsNaN(largest) && (value > largest || float.IsNaN(value)))))")))
                                        {
                                            w.Line("largest = value;");
                                            w.Line(Invariant($"best = (r * {p.Width}) + s;"));
                                        }
                                    }
                                }

                                w.Line($"{At("dx", "best")} += gradient;");
                            }
                            else if (max)
                            {
                                w.Line(Invariant($"int best = (y0 * {p.Width}) + x0;"));
                                w.Line($"float largest = {At("source", "best")};");
                                using (w.Block("for (int r = y0; r < y1 && !float.IsNaN(largest); r++)"))
                                using (w.Block("for (int s = x0; s < x1; s++)"))
                                {
                                    w.Line(Invariant($"float value = {At("source", Invariant($"(r * {p.Width}) + s"))};"));
                                    using (w.Block("if (value > largest || float.IsNaN(value))"))
                                    {
                                        w.Line("largest = value;");
                                        w.Line(Invariant($"best = (r * {p.Width}) + s;"));
                                        using (w.Block("if (float.IsNaN(value))"))
                                        {
                                            w.Line("break;");
                                        }
                                    }
                                }

                                w.Line($"{At("dx", "best")} += gradient;");
                            }
                            else
                            {
                                w.Line(p.ClippedWindows
                                    ? Invariant($"float share = gradient / (({MathClass}.Min(top + {p.KernelHeight}, {p.Height + p.PadBottom}) - top) * ({MathClass}.Min(left + {p.KernelWidth}, {p.Width + p.PadRight}) - left));")
                                    : p.CountIncludePad
                                    ? Invariant($"float share = gradient / {p.KernelHeight * p.KernelWidth};")
                                    : "float share = gradient / ((y1 - y0) * (x1 - x0));");
                                using (w.Block("for (int r = y0; r < y1; r++)"))
                                using (w.Block("for (int s = x0; s < x1; s++)"))
                                {
                                    w.Line($"{At("dx", Invariant($"(r * {p.Width}) + s"))} += share;");
                                }
                            }
                        }
                    }
                }
            }
        }

        /// <summary>
        /// 2×2 windows with stride 2, a vector of windows (two vectors of columns, two rows) at a time: each input is
        /// compared with its window's maximum (the pool's output, spread to both columns by a lane shuffle), and only the
        /// first match in the window's order — top left, top right, bottom left, bottom right — gets the gradient; a NaN
        /// input matches, as the forward pass lets a NaN win. Every input of those windows is written, so nothing is cleared.
        /// </summary>
        private void PairRouting(PoolSpec p, Pool2DGeometry g)
        {
            VectorPaths(g.OutputWidth, v =>
            {
                int width = v.Width, half = width / 2;
                string ints = v.IntType, V = v.Static;
                w.Line(Invariant($"ref float row0 = ref {At("source", Invariant($"top * {p.Width}"))}, row1 = ref {At("row0", Invariant($"{p.Width}"))};"));
                w.Line(Invariant($"ref float out0 = ref {At("dx", Invariant($"top * {p.Width}"))}, out1 = ref {At("out0", Invariant($"{p.Width}"))};"));
                w.Line(Invariant($"ref float largest = ref {At("pooled", Invariant($"y * {g.OutputWidth}"))}, gradients = ref {At("dy", Invariant($"y * {g.OutputWidth}"))};"));
                w.Line(Invariant($"{ints} low = {v.Constant(l => Invariant($"{l / 2}"))}, high = {v.Constant(l => Invariant($"{half + (l / 2)}"))};"));
                w.Line(Invariant($"{ints} evens = {v.Constant(l => Invariant($"{l & ~1}"))}, odds = {v.Constant(l => Invariant($"{l | 1}"))};"));
                w.Line(Invariant($"{ints} oddLanes = {v.Constant(l => l % 2 == 0 ? "0" : "-1")};"));
                using (w.Block(Invariant($"for (; x <= {g.OutputWidth - width}; x += {width})")))
                {
                    w.Line($"{ints} m = {V}.AsInt32({v.Load("largest", "x")}), d = {V}.AsInt32({v.Load("gradients", "x")});");
                    foreach ((string indices, string offset, string windows) in new[]
                    {
                        ("low", "2 * x", Invariant($"x … x + {half - 1}")),
                        ("high", Invariant($"(2 * x) + {width}"), Invariant($"x + {half} … x + {width - 1}")),
                    })
                    {
                        w.Line($"// Windows {windows}: columns {offset} and on.");
                        using (w.Block(""))
                        {
                            w.Line($"{v.Type} max = {V}.AsSingle({V}.Shuffle(m, {indices}));");
                            w.Line($"{ints} gradient = {V}.Shuffle(d, {indices});");
                            w.Line($"{v.Type} a = {v.Load("row0", offset)}, b = {v.Load("row1", offset)};");
                            w.Line($"{ints} topMatch = {V}.AsInt32({V}.Equals(a, max) | ~{V}.Equals(a, a));");
                            w.Line($"{ints} topFirst = topMatch & ~({V}.Shuffle(topMatch, evens) & oddLanes);");
                            w.Line($"{ints} topAny = {V}.Shuffle(topFirst, evens) | {V}.Shuffle(topFirst, odds);");
                            w.Line($"{ints} bottomMatch = {V}.AsInt32({V}.Equals(b, max) | ~{V}.Equals(b, b));");
                            w.Line($"{ints} bottomFirst = bottomMatch & ~({V}.Shuffle(bottomMatch, evens) & oddLanes) & ~topAny;");
                            w.Line(v.Store($"{V}.AsSingle(gradient & topFirst)", "out0", offset));
                            w.Line(v.Store($"{V}.AsSingle(gradient & bottomFirst)", "out1", offset));
                        }
                    }
                }
            });
        }

        public void GlobalPoolInputGradient(string layer, GlobalPoolSpec p)
        {
            if (p.Kind == PoolKind.Max)
            {
                GlobalMaxPoolInputGradient(layer, p);
                return;
            }

            int plane = p.Height * p.Width;
            Doc(w, Invariant($"The gradient of <c>{layer}</c>'s input: each channel's output gradient divided by {plane}, spread over its plane."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {layer}InputGradient(ref float gradOutput, ref float gradInput, int batch)"))
            using (w.Block(Invariant($"for (int channel = 0; channel < batch * {p.Channels}; channel++)")))
            {
                w.Line(Invariant($"float share = {At("gradOutput", "channel")} / {plane};"));
                w.Line(Invariant($"KgMarshal.CreateSpan(ref {At("gradInput", Invariant($"channel * {plane}"))}, {plane}).Fill(share);"));
            }
        }

        /// <summary>Each channel's output gradient to the first largest element of its plane (a NaN wins, as in the forward pass); zeros elsewhere.</summary>
        private void GlobalMaxPoolInputGradient(string layer, GlobalPoolSpec p)
        {
            int plane = p.Height * p.Width;
            Doc(w, Invariant($"The gradient of <c>{layer}</c>'s input: each channel's output gradient routed to the first largest element of its {p.Height}×{p.Width} plane (a NaN wins, as in the forward pass)."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {layer}InputGradient(ref float input, ref float gradOutput, ref float gradInput, int batch)"))
            {
                Clear("gradInput", Invariant($"batch * {p.Channels * plane}"));
                using (w.Block(Invariant($"for (int channel = 0; channel < batch * {p.Channels}; channel++)")))
                {
                    w.Line(Invariant($"ref float values = ref {At("input", Invariant($"channel * {plane}"))};"));
                    w.Line("int best = 0;");
                    w.Line("float largest = values;");
                    using (w.Block(Invariant($"for (int i = 1; i < {plane} && !float.IsNaN(largest); i++)")))
                    {
                        w.Line($"float value = {At("values", "i")};");
                        using (w.Block("if (value > largest || float.IsNaN(value))"))
                        {
                            w.Line("largest = value;");
                            w.Line("best = i;");
                        }
                    }

                    w.Line(Invariant($"{At("gradInput", Invariant($"(channel * {plane}) + best"))} = {At("gradOutput", "channel")};"));
                }
            }
        }

        /// <summary><c>(variable + k) × length</c> as C#: where row <paramref name="k"/> after <paramref name="variable"/> starts.</summary>
        private static string Row(string variable, int k, int length) =>
            k == 0 ? Invariant($"{variable} * {length}") : Invariant($"({variable} + {k}) * {length}");

        /// <summary><c>variable × factor</c> as C#, without a <c>× 1</c>.</summary>
        private static string Times(string variable, int factor) => factor == 1 ? variable : Invariant($"({variable} * {factor})");

        private static int Flip(ConvSpec c, int kx) => c.FlipKernel ? c.KernelWidth - 1 - kx : kx;

        /// <summary>The output positions [Lo, Hi) whose tap <paramref name="k"/> reads inside the input (not padding).</summary>
        private static (int Lo, int Hi) Valid(int k, int stride, int dilation, int pad, int size, int outputs)
        {
            int offset = (k * dilation) - pad;
            int lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
            int last = size - 1 - offset;
            int hi = last < 0 ? 0 : Math.Min(outputs, (last / stride) + 1);
            return (Math.Min(lo, hi), hi);
        }
    }
}
