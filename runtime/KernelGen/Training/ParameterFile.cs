using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace KernelGen.Training;

/// <summary>
/// Saves and loads a network's parameters as safetensors, one tensor per parameter under its name
/// (<c>Conv1.weight</c>, <c>Conv1.bias</c>, …) and in its shape, so that PyTorch's <c>load_file</c> and
/// <c>load_state_dict</c> read them as they are.
/// </summary>
public static class ParameterFile
{
    /// <summary>Writes every parameter to <paramref name="path"/>.</summary>
    public static void Save(string path, IReadOnlyList<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Safetensors.Save(path, parameters.Select(p => KeyValuePair.Create(p.Name, Tensor.FromArray(p.Values, p.Shape.ToArray())))); // FromArray copies
    }

    /// <summary>
    /// Reads every parameter from <paramref name="path"/>. All of them are checked before any is changed, so a
    /// file that does not fit leaves the network as it was. Tensors in the file that the network lacks are ignored.
    /// </summary>
    /// <exception cref="KeyNotFoundException">The file lacks a parameter; the message names it and lists what the file has.</exception>
    /// <exception cref="InvalidDataException">A tensor has the wrong shape (the message names it and gives both shapes), or the file is not safetensors.</exception>
    public static void Load(string path, IReadOnlyList<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        IReadOnlyDictionary<string, Tensor> tensors = Safetensors.Load(path);
        Tensor[] found = [.. parameters.Select(p => Safetensors.Find(tensors, p.Name, p.Shape.ToArray()))];
        for (int i = 0; i < parameters.Count; i++)
        {
            found[i].AsSpan().CopyTo(parameters[i].Values);
            parameters[i].ValuesChanged();
        }
    }
}
