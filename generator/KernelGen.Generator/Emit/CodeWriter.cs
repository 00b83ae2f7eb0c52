using System;
using System.Globalization;
using System.Text;

namespace KernelGen.Generator.Emit;

/// <summary>
/// Writes indented C#: <see cref="Line"/> for one line, <see cref="Block"/> for a braced block that
/// closes when disposed. Interpolated numbers are formatted with the invariant culture. A line longer than
/// <see cref="LineWrapper.Limit"/> columns is broken over several (see <see cref="LineWrapper"/>).
/// </summary>
internal sealed class CodeWriter
{
    private readonly StringBuilder _text = new();
    private int _indent;

    public void Line(string text = "")
    {
        if (text.Length == 0)
        {
            _text.Append('\n');
            return;
        }

        foreach ((int indent, string line) in LineWrapper.Wrap(text, _indent * 4))
        {
            _text.Append(' ', indent).Append(line).Append('\n');
        }
    }

    public void Line(FormattableString text) => Line(text.ToString(CultureInfo.InvariantCulture));

    /// <summary>Writes <paramref name="header"/>, an opening brace, and indents until the returned scope is disposed.</summary>
    public Scope Block(string header)
    {
        if (header.Length > 0)
        {
            Line(header);
        }

        Line("{");
        _indent++;
        return new Scope(this);
    }

    public Scope Block(FormattableString header) => Block(header.ToString(CultureInfo.InvariantCulture));

    /// <summary>Like <see cref="Block(string)"/>, and when the scope is disposed, writes <paramref name="after"/> after the closing brace.</summary>
    public Scope Block(string header, Action<CodeWriter> after)
    {
        _ = Block(header);
        return new Scope(this, after);
    }

    public override string ToString() => _text.ToString();

    internal readonly struct Scope : IDisposable
    {
        private readonly CodeWriter _writer;
        private readonly Action<CodeWriter>? _after;

        public Scope(CodeWriter writer, Action<CodeWriter>? after = null)
        {
            _writer = writer;
            _after = after;
        }

        public void Dispose()
        {
            // No blank line before a closing brace: members end with one, and the last needs none.
            StringBuilder text = _writer._text;
            if (text.Length >= 2 && text[text.Length - 1] == '\n' && text[text.Length - 2] == '\n')
            {
                text.Length--;
            }

            _writer._indent--;
            _writer.Line("}");
            _after?.Invoke(_writer);
        }
    }
}
