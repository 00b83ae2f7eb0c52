using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using KernelGen.Generator.Diagnostics;
using KernelGen.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace KernelGen.Generator.Parsing;

/// <summary>
/// Reads a <c>[Network]</c> class: its input, then each layer method in declaration order, inferring each
/// layer's input sizes from the layer before and reading the rest of its attribute as a stand-alone kernel's.
/// </summary>
internal static class NetworkParser
{
    public const string AttributeName = "KernelGen.NetworkAttribute";

    /// <summary>The <c>[Concat]</c> attribute, which only a network layer carries.</summary>
    public const string ConcatAttributeName = "KernelGen.ConcatAttribute";

    /// <summary>The name of the network's input, as a layer's <c>Input</c> gives it (<c>NetworkAttribute.Input</c>).</summary>
    public const string InputName = "input";

    /// <summary>The parameters of a network's batch norm kernel (inference form).</summary>
    private static readonly EquatableArray<string> NormalizationParameters = new[] { "input", "scale", "shift", "mean", "variance", "output", "batch" }.ToEquatableArray();

    public static bool IsNetwork(INamedTypeSymbol? type) =>
        type is not null && type.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == AttributeName);

    public static ParseResult<NetworkSpec> Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var diagnostics = new List<DiagnosticInfo>();
        var type = (INamedTypeSymbol)context.TargetSymbol;
        Location location = context.TargetNode is TypeDeclarationSyntax declaration ? declaration.Identifier.GetLocation() : context.TargetNode.GetLocation();

        List<ContainingType>? types = MethodParser.ContainingTypes(type, out string? typeProblem);
        typeProblem ??=
            type.IsStatic ? "it is static, and a network holds its parameters in an instance"
            : type.IsAbstract ? "it is abstract, and the generator writes its constructor"
            : type.TypeKind != TypeKind.Class ? "it is not a class"
            : ConstructorProblem(type);
        if (types is null || typeProblem is not null)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.NetworkNotSupported, location, type.Name, typeProblem!));
            return ParseResult<NetworkSpec>.Of(null, diagnostics);
        }

        var network = new LayerAttribute("Network", context.Attributes[0], diagnostics);
        int? channels = network.Required("InputChannels"), height = network.Required("InputHeight"), width = network.Required("InputWidth");

        // KernelGen.Training.Initialization: Zeros = 0, He = 1, Glorot = 2 (the default).
        int initialization = network.Int("Initialization") ?? 2;
        if (initialization is not (1 or 2))
        {
            network.Report(Descriptors.InvalidValue, Invariant($"[Network] Initialization = {(initialization switch { 0 => "Zeros", 3 => "Ones", _ => initialization.ToString(CultureInfo.InvariantCulture) })}: weights must start at random values, or every unit of a layer learns the same thing. Use Glorot or He."));
        }

        // KernelGen.Loss: SoftmaxCrossEntropy = 0 (the default), BinaryCrossEntropy = 1, MeanSquaredError = 2.
        int loss = network.Int("Loss") ?? 0;
        if (loss is < 0 or > 2)
        {
            network.Report(Descriptors.InvalidValue, Invariant($"[Network] Loss = {loss} is not a defined Loss: use SoftmaxCrossEntropy, BinaryCrossEntropy or MeanSquaredError."));
        }

        // The layers, in the order they are written (files in path order when the class is split).
        IMethodSymbol[] methods = type.GetMembers()
            .OfType<IMethodSymbol>()
            .Where(m => m.GetAttributes().Any(a => a.AttributeClass is { } c && MethodParser.LayerAttributes.Contains(c.ToDisplayString())))
            .OrderBy(m => m.Locations.FirstOrDefault()?.SourceTree?.FilePath ?? "", System.StringComparer.Ordinal)
            .ThenBy(m => m.Locations.FirstOrDefault()?.SourceSpan.Start ?? 0)
            .ToArray();
        if (methods.Length == 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.NetworkNotSupported, location, type.Name,
                "it has no layers; declare each as 'partial void Name();' with a layer attribute ([Conv2D], [MaxPool2D], [AvgPool2D], [GlobalAvgPool2D], [GlobalMaxPool2D], [Dense]), in order"));
        }

        if (channels is not { } c0 || height is not { } h0 || width is not { } w0 || diagnostics.Count > 0)
        {
            return ParseResult<NetworkSpec>.Of(null, diagnostics);
        }

        string ns = type.ContainingNamespace.IsGlobalNamespace ? "" : string.Join(".", type.ContainingNamespace.ToDisplayParts().Where(p => p.Kind == SymbolDisplayPartKind.NamespaceName).Select(p => MethodParser.Identifier(p.ToString())));
        // The graph: what each layer reads, by declaration index (-1: the network's input), in an order that puts every
        // layer after the ones it reads.
        int[][]? edges = Graph(type, methods, diagnostics);
        int[] order = edges is null ? [] : Order(type, methods, edges, diagnostics);

        var layers = new List<NetworkLayer>();
        var shapes = new (int C, int H, int W, bool Flat)?[methods.Length];
        var position = new int[methods.Length];
        var names = new Dictionary<string, string>(System.StringComparer.OrdinalIgnoreCase);
        (int C, int H, int W, bool Flat) shape = (c0, h0, w0, false);
        foreach (int i in edges is null || order.Length < methods.Length ? Enumerable.Range(0, methods.Length) : order)
        {
            cancellationToken.ThrowIfCancellationRequested();
            IMethodSymbol method = methods[i];

            // A layer whose inputs are unknown (an error in the graph or in a layer it reads) has only its declaration checked.
            int[] reads = edges is not null && order.Length == methods.Length ? edges[i] : [];
            bool known = reads.Length > 0 && reads.All(r => r < 0 || shapes[r] is not null);
            List<(string Name, (int C, int H, int W, bool Flat) Shape)> operands =
                [.. reads.Select(r => (r < 0 ? "the network's input" : $"'{methods[r].Name}'", r < 0 ? (c0, h0, w0, false) : shapes[r] ?? default))];
            NetworkLayer? layer = ParseLayer(method, type, ns, types, known ? operands[0].Shape : default, known ? operands[0].Name : "", diagnostics, checkShape: known, names, operands);
            if (layer is null)
            {
                continue;
            }

            position[i] = layers.Count;
            layers.Add(layer with { Inputs = reads.Select(r => r < 0 ? -1 : position[r]).ToEquatableArray() });
            shape = (layer.OutChannels, layer.OutHeight, layer.OutWidth, layer.Kind.FlatOutput
                || (layer.Spec is AddSpec or ConcatSpec && operands.All(o => o.Shape.Flat)));
            shapes[i] = shape;
        }

        if (layers.Count < methods.Length)
        {
            // Some layer could not be read (its problem is reported, or is a compiler error): nothing to generate.
            return ParseResult<NetworkSpec>.Of(null, diagnostics);
        }

        if (diagnostics.Count == 0 && layers.Count > 0 && (shape.H != 1 || shape.W != 1))
        {
            IMethodSymbol last = methods[methods.Length - 1];
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.NetworkNotSupported, location, type.Name,
                Invariant($"its last layer, '{last.Name}', gives {Describe(shape)}, and a network ends in one score per class: end it with [Dense], [GlobalAvgPool2D] or [GlobalMaxPool2D]")));
        }
        else if (diagnostics.Count == 0 && layers.Count > 0 && !layers.Any(l => l.HasParameters))
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.NetworkNotSupported, location, type.Name,
                "it has no [Conv2D], [Dense] or [BatchNorm2D] layer, so nothing in it can be trained"));
        }

        foreach (NetworkLayer sharer in diagnostics.Count == 0 ? layers.Where(l => l.SharesWith is not null) : [])
        {
            NetworkLayer? owner = layers.FirstOrDefault(l => l.Name == sharer.SharesWith);
            string? problem =
                owner is null ? $"'{sharer.SharesWith}' is not a layer of '{type.Name}'"
                : ReferenceEquals(owner, sharer) ? "a layer cannot share its own parameters"
                : owner.SharesWith is not null ? $"'{owner.Name}' shares '{owner.SharesWith}''s parameters itself; name '{owner.SharesWith}'"
                : owner.Kind != sharer.Kind || WeightShape(owner) != WeightShape(sharer) || owner.HasBias != sharer.HasBias
                    ? $"'{owner.Name}' has parameters {WeightShape(owner)}{(owner.HasBias ? " with a bias" : "")}, and '{sharer.Name}' needs {WeightShape(sharer)}{(sharer.HasBias ? " with a bias" : "")}"
                : null;
            if (problem is not null)
            {
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.NetworkGraphInvalid, LayerAttributeOf(methods.First(m => m.Name == sharer.Name)).ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation(), Invariant(
                    $"'{sharer.Name}' cannot share the weights of '{sharer.SharesWith}': {problem}.")));
            }
        }

        if (diagnostics.Count == 0 && layers.Where(l => l.OwnsParameters).GroupBy(l => l.Prefix, System.StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } same)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.NetworkNotSupported, location, type.Name, Invariant(
                $"its layers {string.Join(" and ", same.Select(l => $"'{l.Name}'"))} both name their parameters '{same.Key}.weight': give each its own Name")));
        }

        if (diagnostics.Count == 0 && CollidingMember(type, layers) is { } collision)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.NetworkNotSupported, location, type.Name, collision));
        }

        string accessibility = type.DeclaredAccessibility switch
        {
            Accessibility.Public => "public",
            Accessibility.Internal => "internal",
            Accessibility.Private => "private",
            Accessibility.Protected => "protected",
            Accessibility.ProtectedOrInternal => "protected internal",
            _ => "private protected",
        };
        // Binary cross-entropy is computed from the last layer's pre-activation: a sigmoid there runs after the layer's kernel.
        NetworkLayer? final = layers.Count > 0 ? layers[layers.Count - 1] : null;
        if (diagnostics.Count == 0 && loss == (int)LossKind.BinaryCrossEntropy && final is not null && final.Activation.Kind is not (ActivationKind.Sigmoid or ActivationKind.None))
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.NetworkNotSupported, location, type.Name, Invariant(
                $"it is trained with BinaryCrossEntropy, whose last layer, '{final.Name}', must end in Activation.Sigmoid (probabilities) or none (logits), not {final.Activation}")));
        }
        else if (loss == (int)LossKind.BinaryCrossEntropy && final is { Activation.Kind: ActivationKind.Sigmoid, KeepsPreActivation: false })
        {
            layers[layers.Count - 1] = final.Unfused();
        }

        var spec = new NetworkSpec(ns, types.ToEquatableArray(), accessibility, c0, h0, w0, initialization == 1, layers.ToEquatableArray(), (LossKind)System.Math.Max(0, System.Math.Min(2, loss)));
        return ParseResult<NetworkSpec>.Of(spec, diagnostics);
    }

    /// <summary>A <c>[Concat]</c> on a method outside a <c>[Network]</c>: a diagnostic, as it joins network layers only.</summary>
    public static ParseResult<ConcatSpec> ParseStandAloneConcat(GeneratorAttributeSyntaxContext context)
    {
        var diagnostics = new List<DiagnosticInfo>();
        if (context.TargetNode is LocalFunctionStatementSyntax)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidValue, context.Attributes[0].ApplicationSyntaxReference?.GetSyntax().GetLocation(),
                $"[Concat] joins the layers of a [Network] along channels, so '{context.TargetSymbol.Name}' must be a layer method of a [Network] class, not a local function."));
        }
        else if (context.TargetSymbol is IMethodSymbol { ContainingType: var type } && !IsNetwork(type))
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidValue, context.Attributes[0].ApplicationSyntaxReference?.GetSyntax().GetLocation(),
                $"[Concat] joins the layers of a [Network] along channels, so '{context.TargetSymbol.Name}' must be a layer method of a [Network] class."));
        }

        return ParseResult<ConcatSpec>.Of(null, diagnostics);
    }

    /// <summary>A layer's weight shape as text, for comparing two layers that share parameters: <c>[4, 2, 3, 3]</c>.</summary>
    private static string WeightShape(NetworkLayer layer) => "[" + string.Join(", ", layer.Kind.WeightShape(layer).Shape) + "]";

    /// <summary>The members every network class gets, which a layer must not be named after.</summary>
    private static readonly HashSet<string> Reserved = new(System.StringComparer.Ordinal)
    {
        "InputSize", "OutputSize", "Parameters", "InitializeParameters", "Forward", "Predict", "Save", "Load",
        "CreateWorkspace", "ForwardBackward", "Workspace", "RunForward", "ArgMax", "LowestTrainable", "Backward", "UpdateRunningStatistics", InputName,
        "Parallelism", "FixedWeights", "Profile", "ProfiledCalls", "RunInference",
    };

    /// <summary>
    /// What each layer reads, by declaration index (-1 for the network's input): its <c>Input</c> (default: the layer declared
    /// before it), then for <c>[Add]</c> and <c>[Concat]</c> the layers their constructor names. Null, with a diagnostic on the
    /// attribute, when a name is not a layer of the network.
    /// </summary>
    private static int[][]? Graph(INamedTypeSymbol type, IMethodSymbol[] methods, List<DiagnosticInfo> diagnostics)
    {
        if (methods.Any(m => m.Name == InputName))
        {
            return null; // KGEN014 says why a layer cannot be called that; its readers' names would be ambiguous.
        }

        var index = new Dictionary<string, int>(System.StringComparer.Ordinal);
        for (int i = 0; i < methods.Length; i++)
        {
            index[methods[i].Name] = i;
        }

        var edges = new int[methods.Length][];
        bool known = true;
        for (int i = 0; i < methods.Length; i++)
        {
            AttributeData attribute = LayerAttributeOf(methods[i]);
            string? stated = Named(attribute, "Input") as string;
            if (stated is null && attribute.NamedArguments.Any(a => a.Key == "Input"))
            {
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.NetworkGraphInvalid, attribute.ApplicationSyntaxReference?.GetSyntax().GetLocation(), Invariant(
                    $"'{methods[i].Name}' sets Input = null, which names no layer: leave Input out to read the layer declared before, or name one.")));
                known = false;
            }

            var names = new List<string> { stated ?? (i == 0 ? InputName : methods[i - 1].Name) };
            string kind = attribute.AttributeClass!.ToDisplayString();
            if (kind is AddParser.AttributeName or ConcatAttributeName)
            {
                names.AddRange(attribute.ConstructorArguments.Where(c => !c.IsNull)
                    .SelectMany(c => c.Kind == TypedConstantKind.Array ? c.Values.AsEnumerable() : new[] { c }).Select(v => v.Value as string ?? ""));
            }

            var reads = new List<int>();
            foreach (string name in names)
            {
                if (name == InputName)
                {
                    reads.Add(-1);
                }
                else if (index.TryGetValue(name, out int producer))
                {
                    reads.Add(producer);
                }
                else
                {
                    known = false;
                    string layers = string.Join(", ", methods.Select(m => m.Name));
                    diagnostics.Add(DiagnosticInfo.Create(Descriptors.NetworkGraphInvalid, attribute.ApplicationSyntaxReference?.GetSyntax().GetLocation(), Invariant(
                        $"'{methods[i].Name}' reads '{name}', which is not a layer of '{type.Name}': its layers are {layers}, and NetworkAttribute.Input names the network's input.")));
                }
            }

            if (kind == ConcatAttributeName && names.Count < 2 && known)
            {
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.NetworkGraphInvalid, attribute.ApplicationSyntaxReference?.GetSyntax().GetLocation(), Invariant(
                    $"'{methods[i].Name}' is a [Concat] that names no layer to join to its input: [Concat(nameof(Other), …)].")));
                known = false;
            }

            if (kind == AddParser.AttributeName && names.Count < 2 && known)
            {
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.NetworkGraphInvalid, attribute.ApplicationSyntaxReference?.GetSyntax().GetLocation(), Invariant(
                    $"'{methods[i].Name}' is an [Add] that names no layer to add to its input: [Add(nameof(Other), …)].")));
                known = false;
            }

            edges[i] = [.. reads];
        }

        // Every layer but the last is read by another; the last is the network's output.
        for (int i = 0; known && i < methods.Length - 1; i++)
        {
            if (!edges.Any(e => e.Contains(i)))
            {
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.NetworkGraphInvalid, LayerAttributeOf(methods[i]).ApplicationSyntaxReference?.GetSyntax().GetLocation(), Invariant(
                    $"No layer reads '{methods[i].Name}': the network's output is its last declared layer, '{methods[methods.Length - 1].Name}', and every other layer must feed it (name it in an Input, an [Add] or a [Concat], or remove it).")));
                known = false;
            }
        }

        return known ? edges : null;
    }

    /// <summary>
    /// The layers in an order where each comes after what it reads — declaration order wherever it allows — or, with a
    /// diagnostic naming them, fewer when some read each other in a cycle.
    /// </summary>
    private static int[] Order(INamedTypeSymbol type, IMethodSymbol[] methods, int[][] edges, List<DiagnosticInfo> diagnostics)
    {
        var order = new List<int>();
        var done = new bool[methods.Length];
        bool progress = true;
        while (progress && order.Count < methods.Length)
        {
            progress = false;
            for (int i = 0; i < methods.Length; i++)
            {
                if (!done[i] && edges[i].All(r => r < 0 || done[r]))
                {
                    done[i] = true;
                    order.Add(i);
                    progress = true;
                    break;
                }
            }
        }

        if (order.Count < methods.Length)
        {
            // Every layer left reads another layer left: walking from one to what it reads must come back round.
            var path = new List<int> { Enumerable.Range(0, methods.Length).First(i => !done[i]) };
            while (path.IndexOf(path[path.Count - 1]) == path.Count - 1)
            {
                path.Add(edges[path[path.Count - 1]].First(r => r >= 0 && !done[r]));
            }

            int[] members = [.. path.Skip(path.IndexOf(path[path.Count - 1])).Distinct().OrderBy(i => i)];
            string cycle = string.Join(", ", members.Select(i => $"'{methods[i].Name}'"));
            int first = members[0];
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.NetworkGraphInvalid, LayerAttributeOf(methods[first]).ApplicationSyntaxReference?.GetSyntax().GetLocation(), Invariant(
                $"The layers {cycle} of '{type.Name}' read each other in a cycle: a network's layers must be orderable so each comes after the ones it reads.")));
        }

        return [.. order];
    }

    /// <summary>The value of a named argument of an attribute, or null when it is not set.</summary>
    private static object? Named(AttributeData attribute, string name) =>
        attribute.NamedArguments.Where(a => a.Key == name).Select(a => a.Value.Value).FirstOrDefault();

    private static AttributeData LayerAttributeOf(IMethodSymbol method) =>
        method.GetAttributes().First(a => a.AttributeClass is { } c && MethodParser.LayerAttributes.Contains(c.ToDisplayString()));

    /// <summary>
    /// Why the class's own constructors stop the generated one from setting the network up, or null: every instance
    /// constructor the user writes must chain to it with <c>: this(seed, maxBatch)</c>.
    /// </summary>
    private static string? ConstructorProblem(INamedTypeSymbol type)
    {
        if (type.IsRecord)
        {
            return "it is a record, whose copies would share one network's buffers; make it a class";
        }

        foreach (SyntaxReference reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax() is TypeDeclarationSyntax { ParameterList: not null })
            {
                return "it has a primary constructor, and the generator writes the constructor that sets the network up; declare a constructor that calls ': this(seed, maxBatch)' instead";
            }
        }

        foreach (IMethodSymbol constructor in type.InstanceConstructors.Where(c => !c.IsImplicitlyDeclared))
        {
            bool chains = constructor.DeclaringSyntaxReferences.Select(r => r.GetSyntax()).OfType<ConstructorDeclarationSyntax>()
                .Any(c => c.Initializer is { } init && init.IsKind(SyntaxKind.ThisConstructorInitializer));
            if (!chains)
            {
                string signature = string.Join(", ", constructor.Parameters.Select(p => p.Type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)));
                return $"its constructor '{type.Name}({signature})' does not call the generated one; add ': this(seed, maxBatch)' to it";
            }
        }

        if (type.BaseType is { SpecialType: not SpecialType.System_Object } baseType
            && !baseType.InstanceConstructors.Any(c => c.Parameters.All(p => p.IsOptional) && c.DeclaredAccessibility is not Accessibility.Private))
        {
            return $"its base class '{baseType.Name}' has no parameterless constructor for the generated one to call";
        }

        return null;
    }

    /// <summary>A member of the class that has a name the generator gives one of its own members, described; or null.</summary>
    private static string? CollidingMember(INamedTypeSymbol type, List<NetworkLayer> layers)
    {
        var generated = new HashSet<string>(System.StringComparer.Ordinal)
        {
            "_parameters", "_workspace", "Parameters", "Workspace", "InputSize", "OutputSize", "Parallelism", "FixedWeights", "Profile", "ProfiledCalls",
        };
        foreach (NetworkLayer layer in layers)
        {
            string name = layer.Name.TrimStart('@');
            generated.Add(name + "Forward");
            generated.Add(name + "FoldedForward");
            generated.Add(name + "InputGradientForward");
            foreach (Layers.ParameterTensor tensor in layer.Kind.Tensors(layer, he: false))
            {
                generated.Add(name + tensor.Member);
            }
        }

        ISymbol? clash = type.GetMembers().FirstOrDefault(m => !m.IsImplicitlyDeclared && generated.Contains(m.Name));
        return clash is null ? null : $"it declares '{clash.Name}', a name the generator gives one of the network's own members; rename it";
    }

    private static NetworkLayer? ParseLayer(
        IMethodSymbol method, INamedTypeSymbol type, string ns, List<ContainingType> types, (int C, int H, int W, bool Flat) input, string source,
        List<DiagnosticInfo> all, bool checkShape, Dictionary<string, string> names, List<(string Name, (int C, int H, int W, bool Flat) Shape)> operands)
    {
        var diagnostics = new List<DiagnosticInfo>();
        var syntax = method.DeclaringSyntaxReferences.Select(r => r.GetSyntax()).OfType<MethodDeclarationSyntax>().FirstOrDefault();
        Location? location = syntax?.Identifier.GetLocation() ?? method.Locations.FirstOrDefault();
        AttributeData[] attributes = method.GetAttributes().Where(a => a.AttributeClass is { } c && MethodParser.LayerAttributes.Contains(c.ToDisplayString())).ToArray();

        string? problem =
            syntax is null ? "it is not a method declaration"
            : attributes.Length > 1 ? $"it carries both [{MethodParser.Short(attributes[0].AttributeClass!.ToDisplayString())}] and [{MethodParser.Short(attributes[1].AttributeClass!.ToDisplayString())}]"
            : method.Parameters.Length > 0 ? "it has parameters (the network passes every span itself)"
            : !method.ReturnsVoid ? "it does not return void"
            : method.IsGenericMethod ? "it is generic"
            : syntax.Body is not null || syntax.ExpressionBody is not null ? "it has a body"
            : !syntax.Modifiers.Any(SyntaxKind.PartialKeyword) ? "it is not partial"
            : syntax.Modifiers.Any(m => !m.IsKind(SyntaxKind.PartialKeyword)) ? $"remove '{string.Join(" ", syntax.Modifiers.Where(m => !m.IsKind(SyntaxKind.PartialKeyword)).Select(m => m.Text))}'"
            : method.Name == InputName ? "'input' names the network's input (NetworkAttribute.Input); call the layer something else"
            : Reserved.Contains(method.Name) ? $"'{method.Name}' is the name of a member every network gets; call the layer something else"
            : names.TryGetValue(method.Name, out string? other) ? $"another layer, '{other}', has the same name up to case, and their kernels' files would clash; rename one"
            : null;
        if (problem is not null)
        {
            all.Add(DiagnosticInfo.Create(Descriptors.NotANetworkLayer, location, method.Name, type.Name, problem));
            return null;
        }

        names[method.Name] = method.Name;
        if (!checkShape)
        {
            return null;
        }

        string name = MethodParser.Identifier(method.Name);
        string kernel = $"{method.Name}Forward";
        string metadata = attributes[0].AttributeClass!.ToDisplayString();
        bool weighted = metadata is Conv2DParser.AttributeName or DenseParser.AttributeName;
        bool bias = weighted && Named(attributes[0], "Bias") as bool? != false;
        string[] parameters = !weighted ? ["input", "output", "batch"] : bias ? ["input", "weights", "bias", "output", "batch"] : ["input", "weights", "output", "batch"];
        var target = new MethodTarget(ns, types.ToEquatableArray(), "private static partial", kernel, parameters.ToEquatableArray(), HasBias: bias, HasBatch: true, HintSuffix: "");
        if (!weighted && attributes[0].NamedArguments.Any(a => a.Key == "Bias"))
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidValue, attributes[0].ApplicationSyntaxReference?.GetSyntax().GetLocation(), Invariant(
                $"[{MethodParser.Short(metadata)}] {method.Name} has no parameters, so no bias to drop: Bias is for [Conv2D] and [Dense].")));
        }

        // The parameters' name prefix: PyTorch's dotted module path, letters, digits and underscores between the dots.
        string? prefix = Named(attributes[0], "Name") as string;
        if (prefix is not null && !System.Text.RegularExpressions.Regex.IsMatch(prefix, @"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$"))
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidValue, attributes[0].ApplicationSyntaxReference?.GetSyntax().GetLocation(), Invariant(
                $"[{MethodParser.Short(metadata)}] Name = \"{prefix}\": a parameter name prefix is letters, digits and underscores, in parts joined by dots (\"layer1.0.conv1\").")));
        }

        string shapeText = Describe(input);
        int features = input.C * input.H * input.W;
        Dictionary<string, int> spatial(string channels) => new() { [channels] = input.C, ["Height"] = input.H, ["Width"] = input.W };
        InferredInput Inferred(Dictionary<string, int> sizes) => new(method.Name, shapeText, source, sizes);

        NetworkLayer? layer = null;
        switch (metadata)
        {
            case Conv2DParser.AttributeName:
                if (Conv2DParser.Read(new LayerAttribute("Conv2D", attributes[0], diagnostics, Inferred(spatial("InChannels"))), target) is { } conv)
                {
                    Conv2DGeometry g = conv.Geometry;
                    layer = new NetworkLayer(name, conv, features, g.OutChannels, g.OutputHeight, g.OutputWidth);
                }

                break;
            case PoolParser.MaxAttributeName or PoolParser.AverageAttributeName:
                bool max = metadata == PoolParser.MaxAttributeName;
                if (PoolParser.Read(new LayerAttribute(max ? "MaxPool2D" : "AvgPool2D", attributes[0], diagnostics, Inferred(spatial("Channels"))), target, max ? PoolKind.Max : PoolKind.Average) is { } pool)
                {
                    Pool2DGeometry g = pool.Geometry;
                    layer = new NetworkLayer(name, pool, features, g.Channels, g.OutputHeight, g.OutputWidth);

                }

                break;
            case PoolParser.GlobalAttributeName or PoolParser.GlobalMaxAttributeName:
                PoolKind kind = metadata == PoolParser.GlobalMaxAttributeName ? PoolKind.Max : PoolKind.Average;
                if (PoolParser.ReadGlobal(new LayerAttribute(kind == PoolKind.Max ? "GlobalMaxPool2D" : "GlobalAvgPool2D", attributes[0], diagnostics, Inferred(spatial("Channels"))), target, kind) is { } global)
                {
                    layer = new NetworkLayer(name, global, features, global.Channels, 1, 1);
                }

                break;
            case AddParser.AttributeName:
                var sum = new LayerAttribute("Add", attributes[0], diagnostics, Inferred(spatial("Channels")));
                foreach ((string operand, (int C, int H, int W, bool Flat) addend) in operands.Skip(1).Where(o => (o.Shape.C * o.Shape.H * o.Shape.W, o.Shape.H, o.Shape.W) != (features, input.H, input.W)))
                {
                    sum.Report(Descriptors.LayerDoesNotChain, Invariant(
                        $"[Add] {method.Name} adds {operand}, which gives {Describe(addend)}, to its input, {source}, which gives {shapeText}: the tensors added must have one shape."));
                }

                if (AddParser.Read(sum, target) is { } add)
                {
                    layer = new NetworkLayer(name, add, features, input.C, input.H, input.W);
                }

                break;
            case ConcatAttributeName:
                var join = new LayerAttribute("Concat", attributes[0], diagnostics);
                foreach ((string operand, (int C, int H, int W, bool Flat) joined) in operands.Skip(1).Where(o => (o.Shape.H, o.Shape.W) != (input.H, input.W)))
                {
                    join.Report(Descriptors.LayerDoesNotChain, Invariant(
                        $"[Concat] {method.Name} joins {operand}, which gives {Describe(joined)}, to its input, {source}, which gives {shapeText}: the tensors joined along channels must have one height and width (or all be flat features)."));
                }

                if (diagnostics.Count == 0)
                {
                    int[] channels = [.. operands.Select(o => o.Shape.C)];
                    var concat = new ConcatSpec(target, channels.ToEquatableArray(), input.H, input.W);
                    layer = new NetworkLayer(name, concat, features, concat.OutChannels, concat.Height, concat.Width);
                }

                break;
            case BatchNormParser.AttributeName:
                var normTarget = target with { Parameters = NormalizationParameters };
                if (BatchNormParser.Read(new LayerAttribute("BatchNorm2D", attributes[0], diagnostics, Inferred(spatial("Channels"))), normTarget) is { } norm)
                {
                    layer = new NetworkLayer(name, norm, features, norm.Channels, norm.Height, norm.Width);
                }

                break;
            default:
                if (DenseParser.Read(new LayerAttribute("Dense", attributes[0], diagnostics, Inferred(new Dictionary<string, int> { ["InFeatures"] = features })), target) is { } dense)
                {
                    layer = new NetworkLayer(name, dense, features, dense.OutFeatures, 1, 1);
                }

                break;
        }

        // An activation whose derivative needs its input runs after the layer's kernel, which keeps the pre-activation.
        layer = layer is { Activation.DerivativeFromOutput: false } ? layer.Unfused() : layer;
        layer = layer is null || prefix is null ? layer : layer with { Prefix = prefix };
        string? owner = Named(attributes[0], "SharesWeightsWith") as string;
        layer = layer is null || owner is null || !weighted ? layer : layer with { SharesWith = owner };

        all.AddRange(diagnostics);
        return diagnostics.Count > 0 ? null : layer;
    }

    /// <summary>A shape as diagnostics write it: <c>32×13×13</c>, or <c>128 features</c> after a dense or global pool layer.</summary>
    private static string Describe((int C, int H, int W, bool Flat) shape) =>
        shape.Flat ? Invariant($"{shape.C * shape.H * shape.W} features") : Invariant($"{shape.C}×{shape.H}×{shape.W}");
}
