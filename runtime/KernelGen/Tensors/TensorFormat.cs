using System;
using System.Globalization;
using System.Text;

namespace KernelGen;

/// <summary>Writes tensor elements as text: the last two dimensions as an aligned grid, the others as blocks.</summary>
internal static class TensorFormat
{
    public static void Append(StringBuilder text, ReadOnlySpan<float> data, ReadOnlySpan<int> shape)
    {
        int columns = shape[^1];
        int rows = shape.Length > 1 ? shape[^2] : 1;
        int matrix = rows * columns;
        var cells = new string[data.Length];
        int width = 0;
        for (int i = 0; i < data.Length; i++)
        {
            cells[i] = data[i].ToString("G6", CultureInfo.InvariantCulture);
            width = Math.Max(width, cells[i].Length);
        }

        for (int m = 0; m < data.Length / matrix; m++)
        {
            if (shape.Length > 2)
            {
                text.Append('[').Append(string.Join(", ", Unravel(m, shape[..^2]))).Append(", :, :]").AppendLine();
            }

            for (int r = 0; r < rows; r++)
            {
                text.Append("  ");
                for (int c = 0; c < columns; c++)
                {
                    text.Append(cells[(m * matrix) + (r * columns) + c].PadLeft(width + (c == 0 ? 0 : 1)));
                }

                text.AppendLine();
            }
        }
    }

    /// <summary>The multi-index of flat position <paramref name="flat"/> in a row-major tensor of <paramref name="shape"/>.</summary>
    public static int[] Unravel(int flat, ReadOnlySpan<int> shape)
    {
        var index = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = flat % shape[d];
            flat /= shape[d];
        }

        return index;
    }
}
