using System.Collections.Generic;
using System.Text;

namespace KernelGen.Generator.Emit;

/// <summary>
/// Breaks a generated line longer than <see cref="Limit"/> columns the way a person would: a comment at its
/// spaces, code after the opening parenthesis of its widest argument list, with the arguments on the lines
/// below, one indentation level deeper, as many to a line as fit. String and character literals are never split.
/// </summary>
internal static class LineWrapper
{
    public const int Limit = 160;

    private const int Step = 4;

    /// <summary>The lines <paramref name="text"/> becomes at <paramref name="indent"/> columns, without their indentation (given per line).</summary>
    public static List<(int Indent, string Text)> Wrap(string text, int indent)
    {
        var lines = new List<(int, string)>();
        Add(lines, text, indent, depth: 0);
        return lines;
    }

    private static void Add(List<(int, string)> lines, string text, int indent, int depth)
    {
        if (indent + text.Length <= Limit || depth > 8)
        {
            lines.Add((indent, text));
            return;
        }

        string trimmed = text.TrimStart();
        if (trimmed.StartsWith("//", System.StringComparison.Ordinal))
        {
            WrapComment(lines, text, indent);
            return;
        }

        // A list of declarators (float a = 0f, b = 0f, …): the first stays, the others follow one level deeper.
        // Otherwise the widest argument list.
        // (An argument ending in the comma before the next is not such a list.)
        List<string>? parts = SplitTopLevel(text);
        if (parts[parts.Count - 1].Length == 0)
        {
            parts.RemoveAt(parts.Count - 1);
        }

        string head, tail = "";
        if (parts.Count > 1)
        {
            head = parts[0] + ",";
            parts.RemoveAt(0);
        }
        else if ((parts = SplitArguments(text, out head, out tail)) is null)
        {
            lines.Add((indent, text));
            return;
        }

        // The head ends with the opening parenthesis; arguments follow one level deeper, packed; the closing
        // parenthesis and whatever follows it end the last line.
        Add(lines, head, indent, depth + 1);
        var line = new StringBuilder();
        for (int i = 0; i < parts.Count; i++)
        {
            string part = parts[i] + (i < parts.Count - 1 ? "," : tail);
            if (line.Length > 0 && indent + Step + line.Length + 1 + part.Length > Limit)
            {
                Add(lines, line.ToString(), indent + Step, depth + 1);
                line.Clear();
            }

            line.Append(line.Length > 0 ? " " : "").Append(part);
        }

        Add(lines, line.ToString(), indent + Step, depth + 1);
    }

    private static void WrapComment(List<(int, string)> lines, string text, int indent)
    {
        int marker = text.StartsWith("///", System.StringComparison.Ordinal) ? 3 : 2;
        string prefix = text.Substring(0, marker) + " ";
        string[] words = text.Substring(marker).Trim().Split(' ');
        var line = new StringBuilder(prefix);
        foreach (string word in words)
        {
            if (line.Length > prefix.Length && indent + line.Length + 1 + word.Length > Limit)
            {
                lines.Add((indent, line.ToString()));
                line.Clear().Append(prefix);
            }

            line.Append(line.Length > prefix.Length ? " " : "").Append(word);
        }

        lines.Add((indent, line.ToString()));
    }

    /// <summary>
    /// Splits the widest parenthesised list with more than one item (or, failing that, a list of declarators) into
    /// its items: <paramref name="head"/> is the text up to and including the opening parenthesis,
    /// <paramref name="tail"/> the closing one and what follows. Null when the line has no such list.
    /// </summary>
    private static List<string>? SplitArguments(string text, out string head, out string tail)
    {
        head = tail = "";
        int[] depth = Depths(text);
        int bestOpen = -1, bestClose = -1;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '(' && depth[i] == MinimumOpenDepth(text, depth))
            {
                int close = Matching(text, depth, i);
                if (close > 0 && HasComma(text, depth, i, close) && close - i > bestClose - bestOpen)
                {
                    bestOpen = i;
                    bestClose = close;
                }
            }
        }

        if (bestOpen < 0)
        {
            return null;
        }

        head = text.Substring(0, bestOpen + 1);
        tail = text.Substring(bestClose);
        var parts = new List<string>();
        int start = bestOpen + 1;
        for (int i = start; i < bestClose; i++)
        {
            if (text[i] == ',' && depth[i] == depth[bestOpen] + 1)
            {
                parts.Add(text.Substring(start, i - start).Trim());
                start = i + 1;
            }
        }

        parts.Add(text.Substring(start, bestClose - start).Trim());
        return parts;
    }

    /// <summary>The line split at its commas outside any brackets and literals.</summary>
    private static List<string> SplitTopLevel(string text)
    {
        int[] depth = Depths(text);
        var parts = new List<string>();
        int start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == ',' && depth[i] == 0)
            {
                parts.Add(text.Substring(start, i - start).Trim());
                start = i + 1;
            }
        }

        parts.Add(text.Substring(start).Trim());
        return parts;
    }

    private static int MinimumOpenDepth(string text, int[] depth)
    {
        int minimum = int.MaxValue;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '(' && depth[i] < minimum && HasComma(text, depth, i, Matching(text, depth, i)))
            {
                minimum = depth[i];
            }
        }

        return minimum;
    }

    private static bool HasComma(string text, int[] depth, int open, int close)
    {
        for (int i = open + 1; i < close; i++)
        {
            if (text[i] == ',' && depth[i] == depth[open] + 1)
            {
                return true;
            }
        }

        return false;
    }

    private static int Matching(string text, int[] depth, int open)
    {
        for (int i = open + 1; i < text.Length; i++)
        {
            if (text[i] == ')' && depth[i] == depth[open])
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// Each character's bracket depth: an opening bracket has the depth outside it, its contents one more, its closing
    /// bracket the depth outside again. Characters of string and character literals get -1, so nothing splits them.
    /// </summary>
    private static int[] Depths(string text)
    {
        var depth = new int[text.Length];
        int level = 0;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c is '"' or '\'')
            {
                int end = i + 1;
                while (end < text.Length && text[end] != c)
                {
                    end += text[end] == '\\' ? 2 : 1;
                }

                for (int j = i; j <= end && j < text.Length; j++)
                {
                    depth[j] = -1;
                }

                i = end;
                continue;
            }

            if (c is ')' or ']' or '}')
            {
                level--;
            }

            depth[i] = level;
            if (c is '(' or '[' or '{')
            {
                level++;
            }
        }

        return depth;
    }
}
