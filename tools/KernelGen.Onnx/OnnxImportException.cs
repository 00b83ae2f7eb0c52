namespace KernelGen.Onnx;

/// <summary>
/// An ONNX model that cannot be imported: a file that is not a well-formed model (truncated, malformed, inconsistent), or a
/// node that KernelGen's layers cannot express. The message says what and where — the node's name and op type, what about
/// it is unsupported, and what is — and nothing has been written.
/// </summary>
public sealed class OnnxImportException : System.Exception
{
    /// <summary>Creates the exception with its message.</summary>
    public OnnxImportException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its message and the error that caused it.</summary>
    public OnnxImportException(string message, System.Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public OnnxImportException()
    {
    }
}
