using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace KernelGen;

/// <summary>The arithmetic the transforms need on one width of lanes; the JIT specialises each transform for each.</summary>
internal interface IWinogradLanes<T>
    where T : struct, IWinogradLanes<T>
{
    static abstract int Width { get; }

    static abstract T Load(ref float source, nuint offset);

    static abstract void Store(T value, ref float target, nuint offset);

    static abstract T Add(T a, T b);

    static abstract T Subtract(T a, T b);

    static abstract T Scale(T a, float factor);

    static abstract T Zero { get; }

    static abstract T Broadcast(float value);
}

internal readonly struct Lanes512(Vector512<float> value) : IWinogradLanes<Lanes512>
{
    private readonly Vector512<float> _value = value;

    public static int Width => Vector512<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 Load(ref float source, nuint offset) => new(Vector512.LoadUnsafe(ref source, offset));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Lanes512 value, ref float target, nuint offset) => value._value.StoreUnsafe(ref target, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 Add(Lanes512 a, Lanes512 b) => new(a._value + b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 Subtract(Lanes512 a, Lanes512 b) => new(a._value - b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 Scale(Lanes512 a, float factor) => new(a._value * factor);

    public static Lanes512 Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 Broadcast(float value) => new(Vector512.Create(value));
}

internal readonly struct Lanes256(Vector256<float> value) : IWinogradLanes<Lanes256>
{
    private readonly Vector256<float> _value = value;

    public static int Width => Vector256<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 Load(ref float source, nuint offset) => new(Vector256.LoadUnsafe(ref source, offset));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Lanes256 value, ref float target, nuint offset) => value._value.StoreUnsafe(ref target, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 Add(Lanes256 a, Lanes256 b) => new(a._value + b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 Subtract(Lanes256 a, Lanes256 b) => new(a._value - b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 Scale(Lanes256 a, float factor) => new(a._value * factor);

    public static Lanes256 Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 Broadcast(float value) => new(Vector256.Create(value));
}

internal readonly struct Lanes128(Vector128<float> value) : IWinogradLanes<Lanes128>
{
    private readonly Vector128<float> _value = value;

    public static int Width => Vector128<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes128 Load(ref float source, nuint offset) => new(Vector128.LoadUnsafe(ref source, offset));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Lanes128 value, ref float target, nuint offset) => value._value.StoreUnsafe(ref target, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes128 Add(Lanes128 a, Lanes128 b) => new(a._value + b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes128 Subtract(Lanes128 a, Lanes128 b) => new(a._value - b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes128 Scale(Lanes128 a, float factor) => new(a._value * factor);

    public static Lanes128 Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes128 Broadcast(float value) => new(Vector128.Create(value));
}

internal readonly struct Lanes1(float value) : IWinogradLanes<Lanes1>
{
    private readonly float _value = value;

    public static int Width => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes1 Load(ref float source, nuint offset) => new(Unsafe.Add(ref source, offset));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Lanes1 value, ref float target, nuint offset) => Unsafe.Add(ref target, offset) = value._value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes1 Add(Lanes1 a, Lanes1 b) => new(a._value + b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes1 Subtract(Lanes1 a, Lanes1 b) => new(a._value - b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes1 Scale(Lanes1 a, float factor) => new(a._value * factor);

    public static Lanes1 Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes1 Broadcast(float value) => new(value);
}
