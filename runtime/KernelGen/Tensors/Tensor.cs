using System;
using System.Globalization;
using System.Text;

namespace KernelGen;

/// <summary>
/// A float32 tensor: a shape and its elements in one contiguous row-major array (NCHW for
/// activations, OIHW for convolution weights). A convenience for samples and tests; every kernel
/// takes plain spans, which <see cref="AsSpan"/> gives.
/// </summary>
public sealed class Tensor
{
    private readonly float[] _data;
    private readonly int[] _shape;

    private Tensor(float[] data, int[] shape)
    {
        _data = data;
        _shape = shape;
    }

    /// <summary>Creates a tensor of zeros.</summary>
    /// <param name="shape">The size of each dimension; every one positive.</param>
    public Tensor(params int[] shape)
        : this(new float[ElementCount(shape)], (int[])shape.Clone())
    {
    }

    /// <summary>A tensor of zeros.</summary>
    /// <param name="shape">The size of each dimension; every one positive.</param>
    public static Tensor Zeros(params int[] shape) => new(shape);

    /// <summary>
    /// A tensor of values drawn uniformly from [-1, 1) by a generator seeded with <paramref name="seed"/>:
    /// the same seed gives the same values on every machine and run.
    /// </summary>
    /// <param name="seed">The seed.</param>
    /// <param name="shape">The size of each dimension; every one positive.</param>
    public static Tensor Random(int seed, params int[] shape)
    {
        var tensor = new Tensor(shape);
        var random = new Random(seed);
        for (int i = 0; i < tensor._data.Length; i++)
        {
            tensor._data[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return tensor;
    }

    /// <summary>A tensor holding a copy of <paramref name="data"/>, read in row-major order.</summary>
    /// <param name="data">The elements; exactly as many as the shape holds.</param>
    /// <param name="shape">The size of each dimension; every one positive.</param>
    /// <exception cref="ArgumentException"><paramref name="data"/> does not hold as many elements as the shape.</exception>
    public static Tensor FromArray(float[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        long count = ElementCount(shape);
        if (data.Length != count)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"The shape [{string.Join(", ", shape)}] holds {count} elements, but the array holds {data.Length}."), nameof(data));
        }

        return new Tensor((float[])data.Clone(), (int[])shape.Clone());
    }

    /// <summary>The size of each dimension.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>The number of dimensions.</summary>
    public int Rank => _shape.Length;

    /// <summary>The number of elements.</summary>
    public int Length => _data.Length;

    /// <summary>The element at the given position, one index per dimension.</summary>
    /// <exception cref="ArgumentException">The number of indices is not the rank.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside its dimension.</exception>
    public float this[params ReadOnlySpan<int> indices]
    {
        get => _data[Offset(indices)];
        set => _data[Offset(indices)] = value;
    }

    /// <summary>The elements, row-major; writes go to the tensor.</summary>
    public Span<float> AsSpan() => _data;

    /// <summary>A tensor of another shape with the same elements, sharing this tensor's storage.</summary>
    /// <param name="shape">The new shape; it must hold as many elements.</param>
    public Tensor Reshape(params int[] shape)
    {
        long count = ElementCount(shape);
        if (count != _data.Length)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Cannot reshape {_data.Length} elements to [{string.Join(", ", shape)}], which holds {count}."), nameof(shape));
        }

        return new Tensor(_data, (int[])shape.Clone());
    }

    /// <summary>
    /// Compares element by element: each element of <paramref name="actual"/> must lie within
    /// <c>absoluteTolerance + relativeTolerance · |expected|</c> of <paramref name="expected"/>'s.
    /// </summary>
    /// <returns>Whether they match, and if not, how many elements differ and where the worst one is.</returns>
    public static TensorComparison Compare(Tensor expected, Tensor actual, double absoluteTolerance, double relativeTolerance = 0)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        if (!expected.Shape.SequenceEqual(actual.Shape))
        {
            return TensorComparison.ShapeMismatch(expected._shape, actual._shape);
        }

        return TensorComparison.Of(expected._data, actual._data, expected._shape, absoluteTolerance, relativeTolerance);
    }

    /// <summary>Whether <paramref name="other"/> has the same shape and every element within the tolerance; see <see cref="Compare"/>.</summary>
    public bool IsCloseTo(Tensor other, double absoluteTolerance, double relativeTolerance = 0) =>
        Compare(this, other, absoluteTolerance, relativeTolerance).Matches;

    /// <summary>The shape, then the elements as <see cref="FormatElements"/> writes them.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"Tensor [{string.Join(", ", _shape)}]{Environment.NewLine}{FormatElements()}");

    /// <summary>
    /// The elements as text, the last two dimensions as an aligned grid (one line per row) under a
    /// heading such as <c>[0, 1, :, :]</c> for each matrix of the dimensions before them.
    /// </summary>
    public string FormatElements()
    {
        var text = new StringBuilder();
        TensorFormat.Append(text, _data, _shape);
        return text.ToString();
    }

    private int Offset(ReadOnlySpan<int> indices)
    {
        if (indices.Length != _shape.Length)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"The tensor has {_shape.Length} dimensions, but {indices.Length} indices were given."), nameof(indices));
        }

        int offset = 0;
        for (int d = 0; d < indices.Length; d++)
        {
            if ((uint)indices[d] >= (uint)_shape[d])
            {
                throw new ArgumentOutOfRangeException(nameof(indices), indices[d], string.Create(CultureInfo.InvariantCulture,
                    $"Index {indices[d]} is outside dimension {d}, of size {_shape[d]}."));
            }

            offset = (offset * _shape[d]) + indices[d];
        }

        return offset;
    }

    private static int ElementCount(int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Length == 0)
        {
            throw new ArgumentException("A tensor needs at least one dimension.", nameof(shape));
        }

        long count = 1;
        foreach (int size in shape)
        {
            if (size <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(shape), size, "Every dimension must be positive.");
            }

            count = ShapeMath.Product(count, size);
        }

        if (count > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(shape), count, "The tensor would hold more elements than an array can.");
        }

        return (int)count;
    }
}
