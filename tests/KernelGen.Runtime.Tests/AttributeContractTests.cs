using System.Reflection;

namespace KernelGen.Runtime.Tests;

/// <summary>The attribute names, properties and defaults of the public contract (DESIGN.md): samples and outside code are written against them.</summary>
public class AttributeContractTests
{
    public static TheoryData<Type, string[]> Contract => new()
    {
        { typeof(Conv2DAttribute), ["InChannels", "Height", "Width", "OutChannels", "Kernel", "KernelHeight", "KernelWidth", "Stride", "StrideHeight", "StrideWidth", "Padding", "PaddingHeight", "PaddingWidth", "PaddingTop", "PaddingBottom", "PaddingLeft", "PaddingRight", "SamePadding", "Dilation", "DilationHeight", "DilationWidth", "Groups", "Activation", "LeakyReluSlope", "FlipKernel", "Input", "Name", "Bias", "SharesWeightsWith", "Algorithm"] },
        { typeof(MaxPool2DAttribute), ["Channels", "Height", "Width", "Kernel", "KernelHeight", "KernelWidth", "Stride", "StrideHeight", "StrideWidth", "Padding", "PaddingHeight", "PaddingWidth", "PaddingTop", "PaddingBottom", "PaddingLeft", "PaddingRight", "SamePadding", "CeilMode", "Dilation", "DilationHeight", "DilationWidth", "Input", "Name"] },
        { typeof(AvgPool2DAttribute), ["Channels", "Height", "Width", "Kernel", "KernelHeight", "KernelWidth", "Stride", "StrideHeight", "StrideWidth", "Padding", "PaddingHeight", "PaddingWidth", "PaddingTop", "PaddingBottom", "PaddingLeft", "PaddingRight", "SamePadding", "CeilMode", "Dilation", "DilationHeight", "DilationWidth", "CountIncludePad", "Input", "Name"] },
        { typeof(GlobalAvgPool2DAttribute), ["Channels", "Height", "Width", "Input", "Name"] },
        { typeof(GlobalMaxPool2DAttribute), ["Channels", "Height", "Width", "Input", "Name"] },
        { typeof(ConcatAttribute), ["Layers", "Input", "Name"] },
        { typeof(DenseAttribute), ["InFeatures", "OutFeatures", "Activation", "LeakyReluSlope", "Input", "Name", "Bias", "SharesWeightsWith"] },
        { typeof(AddAttribute), ["Layers", "Channels", "Height", "Width", "Activation", "LeakyReluSlope", "Input", "Name"] },
        { typeof(BatchNorm2DAttribute), ["Channels", "Height", "Width", "Epsilon", "Momentum", "Activation", "LeakyReluSlope", "Input", "Name"] },
    };

    [Theory]
    [MemberData(nameof(Contract))]
    public void Each_attribute_has_exactly_the_contract_properties_and_targets_methods(Type attribute, string[] properties)
    {
        Assert.Equal("KernelGen", attribute.Namespace);
        Assert.True(attribute.IsSealed);
        Assert.Equal(properties.Order(), attribute.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.DeclaringType != typeof(Attribute)).Select(p => p.Name).Order());
        // Every property is set by name, but the layers an [Add] names, which are its constructor's arguments.
        Assert.All(attribute.GetProperties().Where(p => p.DeclaringType != typeof(Attribute) && p.Name != "Layers"), p => Assert.True(p.CanWrite, p.Name));
        AttributeUsageAttribute usage = attribute.GetCustomAttribute<AttributeUsageAttribute>()!;
        Assert.Equal(AttributeTargets.Method, usage.ValidOn);
        Assert.False(usage.AllowMultiple);
    }

    [Fact]
    public void Optional_properties_default_as_the_contract_says()
    {
        var conv = new Conv2DAttribute();
        Assert.Equal((1, 0, 1, 1, Activation.None, false, false), (conv.Stride, conv.Padding, conv.Dilation, conv.Groups, conv.Activation, conv.FlipKernel, conv.SamePadding));
        Assert.Equal(ConvAlgorithm.Auto, conv.Algorithm);
        Assert.Equal(["Auto", "Direct", "Winograd", "PackedDirect", "Winograd2x2"], Enum.GetNames<ConvAlgorithm>());
        Assert.False(new AvgPool2DAttribute().CountIncludePad);
        Assert.Equal(Activation.None, new DenseAttribute().Activation);
        var norm = new BatchNorm2DAttribute();
        Assert.Equal((1e-5f, 0.1f, Activation.None), (norm.Epsilon, norm.Momentum, norm.Activation));
    }

    [Fact]
    public void Activation_has_the_contract_values() =>
        Assert.Equal(["None", "Relu", "Sigmoid", "Tanh", "LeakyRelu", "Relu6", "HardSigmoid", "HardSwish", "Silu", "Gelu"], Enum.GetNames<Activation>());
}
