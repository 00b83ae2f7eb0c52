using System.Buffers.Binary;
using System.Text;

namespace KernelGen.Bench.Peers;

/// <summary>
/// Marks one version need of an ELF64 little-endian shared library weak (<c>VER_FLG_WEAK</c> in its
/// <c>Elf64_Vernaux</c> entry of <c>.gnu.version_r</c>), so that the dynamic loader accepts a libstdc++ that lacks
/// that version. It refuses when a relocation refers to a symbol of that version: then the library really uses
/// it, and loading it anyway would fail later, at the call.
/// </summary>
public static class ElfVersionNeed
{
    private const uint ShtRela = 4, ShtRel = 9, ShtGnuVerneed = 0x6ffffffe, ShtGnuVersym = 0x6fffffff;
    private const ushort VerFlagWeak = 0x2;

    /// <summary>What <see cref="MarkWeak"/> did.</summary>
    public enum Outcome
    {
        /// <summary>The library needs no such version.</summary>
        NotNeeded,

        /// <summary>The need was already weak.</summary>
        AlreadyWeak,

        /// <summary>The need is now weak.</summary>
        Patched,
    }

    /// <summary>Marks the need for <paramref name="version"/> weak in the file at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidOperationException">The file is not ELF64 little-endian, or a relocation uses the version.</exception>
    public static Outcome MarkWeak(string path, string version)
    {
        byte[] elf = File.ReadAllBytes(path);
        Outcome outcome = MarkWeak(elf, version, path);
        if (outcome == Outcome.Patched)
        {
            // Write a new file and move it over the old one, so that a hard link to the NuGet cache is never written through.
            string temporary = path + ".patching";
            File.WriteAllBytes(temporary, elf);
            File.Move(temporary, path, overwrite: true);
        }

        return outcome;
    }

    /// <summary>The same, on the bytes of the file (changed in place when the outcome is <see cref="Outcome.Patched"/>).</summary>
    public static Outcome MarkWeak(byte[] elf, string version, string name)
    {
        if (elf.Length < 64 || BinaryPrimitives.ReadUInt32BigEndian(elf) != 0x7F454C46 || elf[4] != 2 || elf[5] != 1)
        {
            throw new InvalidOperationException($"{name} is not a 64-bit little-endian ELF file.");
        }

        Section[] sections = Sections(elf);
        foreach (Section verneed in sections.Where(s => s.Type == ShtGnuVerneed))
        {
            Section strings = sections[verneed.Link];
            int entry = checked((int)verneed.Offset);
            while (true)
            {
                int auxCount = U16(elf, entry + 2);
                int aux = entry + (int)U32(elf, entry + 8);
                for (int i = 0; i < auxCount; i++)
                {
                    string auxName = CString(elf, checked((int)strings.Offset + (int)U32(elf, aux + 8)));
                    if (auxName == version)
                    {
                        int flags = U16(elf, aux + 4), index = U16(elf, aux + 6);
                        if ((flags & VerFlagWeak) != 0)
                        {
                            return Outcome.AlreadyWeak;
                        }

                        RefuseIfRelocated(elf, sections, index, version, name);
                        BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(aux + 4), (ushort)(flags | VerFlagWeak));
                        return Outcome.Patched;
                    }

                    aux += (int)U32(elf, aux + 12);
                }

                uint next = U32(elf, entry + 12);
                if (next == 0)
                {
                    break;
                }

                entry += (int)next;
            }
        }

        return Outcome.NotNeeded;
    }

    private static void RefuseIfRelocated(byte[] elf, Section[] sections, int versionIndex, string version, string name)
    {
        Section versym = sections.Single(s => s.Type == ShtGnuVersym);
        foreach (Section relocations in sections.Where(s => s.Type is ShtRela or ShtRel))
        {
            if (sections[relocations.Link].Offset != sections[versym.Link].Offset)
            {
                continue; // relocations against another symbol table
            }

            int size = relocations.Type == ShtRela ? 24 : 16;
            for (long at = relocations.Offset; at < relocations.Offset + relocations.Size; at += size)
            {
                uint symbol = (uint)(BinaryPrimitives.ReadUInt64LittleEndian(elf.AsSpan((int)at + 8)) >> 32);
                if (symbol != 0 && (U16(elf, (int)versym.Offset + (2 * (int)symbol)) & 0x7fff) == versionIndex)
                {
                    throw new InvalidOperationException(
                        $"{name}: relocation at file offset {at} uses symbol {symbol} of {version}; marking the version weak would break it, so it is left as it is.");
                }
            }
        }
    }

    private readonly record struct Section(uint Type, long Offset, long Size, int Link);

    private static Section[] Sections(byte[] elf)
    {
        long offset = (long)BinaryPrimitives.ReadUInt64LittleEndian(elf.AsSpan(0x28));
        int size = U16(elf, 0x3A), count = U16(elf, 0x3C);
        var sections = new Section[count];
        for (int i = 0; i < count; i++)
        {
            int at = checked((int)(offset + ((long)i * size)));
            sections[i] = new Section(
                U32(elf, at + 4),
                (long)BinaryPrimitives.ReadUInt64LittleEndian(elf.AsSpan(at + 24)),
                (long)BinaryPrimitives.ReadUInt64LittleEndian(elf.AsSpan(at + 32)),
                (int)U32(elf, at + 40));
        }

        return sections;
    }

    private static ushort U16(byte[] elf, int at) => BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(at));

    private static uint U32(byte[] elf, int at) => BinaryPrimitives.ReadUInt32LittleEndian(elf.AsSpan(at));

    private static string CString(byte[] elf, int at) => Encoding.ASCII.GetString(elf, at, Array.IndexOf(elf, (byte)0, at) - at);
}
