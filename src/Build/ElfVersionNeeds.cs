// Reads and edits the symbol-version requirements (.gnu.version_r) of an ELF64 little-endian
// shared library, and the version definitions (.gnu.version_d) of another.
//
// Why this exists: TorchSharp 0.107.0's libLibTorchSharp.so was linked against GCC 13's
// libstdc++ and so requires the version GLIBCXX_3.4.32. Debian 12 and Ubuntu 22.04 ship
// GCC 12's libstdc++ (up to GLIBCXX_3.4.30), and the loader refuses the library. The only
// symbol behind that version is std::ios_base_library_init(), a link-time marker that is never
// called. Marking that one requirement weak (VER_FLG_WEAK) makes glibc's loader accept the
// library when the version is absent, and changes nothing where it is present.
//
// This file is compiled twice: into an MSBuild inline task (src/Build/TorchSharp.Native.targets),
// which patches the copy in each build output, and into the tests, which check the parser.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace Pipeline.Build
{
    /// <summary>One Vernaux entry: "this library needs version <see cref="Version"/> of <see cref="File"/>".</summary>
    public sealed class ElfVersionNeed
    {
        public ElfVersionNeed(string file, string version, long flagsOffset, ushort flags)
        {
            File = file;
            Version = version;
            FlagsOffset = flagsOffset;
            Flags = flags;
        }

        public string File { get; }
        public string Version { get; }
        /// <summary>Byte offset of vna_flags in the file.</summary>
        public long FlagsOffset { get; }
        public ushort Flags { get; }
        public bool IsWeak => (Flags & ElfVersionNeeds.VerFlagWeak) != 0;
    }

    public static class ElfVersionNeeds
    {
        public const ushort VerFlagWeak = 0x2;
        private const uint ShtGnuVerdef = 0x6ffffffd;
        private const uint ShtGnuVerneed = 0x6ffffffe;

        /// <summary>All version requirements of an ELF64 little-endian file.</summary>
        public static IReadOnlyList<ElfVersionNeed> ReadNeeds(byte[] elf)
        {
            var needs = new List<ElfVersionNeed>();
            var sections = Sections(elf).ToList();
            foreach (var section in sections.Where(s => s.Type == ShtGnuVerneed))
            {
                var strings = sections[(int)section.Link];
                long entry = section.Offset;
                for (var i = 0; i < section.Info; i++)
                {
                    ushort count = U16(elf, entry + 2);
                    string file = CString(elf, strings.Offset + U32(elf, entry + 4));
                    long aux = entry + U32(elf, entry + 8);
                    for (var j = 0; j < count; j++)
                    {
                        string name = CString(elf, strings.Offset + U32(elf, aux + 8));
                        needs.Add(new ElfVersionNeed(file, name, aux + 4, U16(elf, aux + 4)));
                        aux += U32(elf, aux + 12);
                    }
                    entry += U32(elf, entry + 12);
                }
            }
            return needs;
        }

        /// <summary>The version names a shared library defines (for libstdc++: GLIBCXX_3.4 … GLIBCXX_3.4.N).</summary>
        public static ISet<string> ReadDefinitions(byte[] elf)
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            var sections = Sections(elf).ToList();
            foreach (var section in sections.Where(s => s.Type == ShtGnuVerdef))
            {
                var strings = sections[(int)section.Link];
                long entry = section.Offset;
                for (var i = 0; i < section.Info; i++)
                {
                    ushort auxCount = U16(elf, entry + 6);
                    long aux = entry + U32(elf, entry + 12);
                    for (var j = 0; j < auxCount; j++)
                    {
                        names.Add(CString(elf, strings.Offset + U32(elf, aux)));
                        aux += U32(elf, aux + 4);
                    }
                    entry += U32(elf, entry + 16);
                }
            }
            return names;
        }

        /// <summary>Sets VER_FLG_WEAK on the named requirement. Returns false if it was weak already.</summary>
        public static bool MarkWeak(byte[] elf, string file, string version)
        {
            var need = ReadNeeds(elf).FirstOrDefault(n => n.File == file && n.Version == version)
                ?? throw new InvalidDataException($"The library does not require {version} of {file}.");
            if (need.IsWeak)
                return false;
            ushort flags = (ushort)(need.Flags | VerFlagWeak);
            elf[need.FlagsOffset] = (byte)(flags & 0xff);
            elf[need.FlagsOffset + 1] = (byte)(flags >> 8);
            return true;
        }

        /// <summary>The libstdc++.so.6 the dynamic loader would most likely pick, or null.</summary>
        public static string? FindSystemLibStdCxx()
        {
            var dirs = (Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") ?? "")
                .Split(new[] { ':' }, StringSplitOptions.RemoveEmptyEntries)
                .Concat(new[]
                {
                    "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64",
                    "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/local/lib", "/usr/lib", "/lib",
                });
            return dirs.Select(d => Path.Combine(d, "libstdc++.so.6")).FirstOrDefault(System.IO.File.Exists);
        }

        private readonly struct Section
        {
            public Section(uint type, long offset, uint link, uint info)
            {
                Type = type;
                Offset = offset;
                Link = link;
                Info = info;
            }

            public uint Type { get; }
            public long Offset { get; }
            public uint Link { get; }
            public uint Info { get; }
        }

        private static IEnumerable<Section> Sections(byte[] elf)
        {
            if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
                throw new InvalidDataException("Not an ELF file.");
            if (elf[4] != 2 || elf[5] != 1)
                throw new InvalidDataException("Only 64-bit little-endian ELF files are supported.");
            long tableOffset = (long)U64(elf, 0x28);
            ushort entrySize = U16(elf, 0x3a);
            ushort count = U16(elf, 0x3c);
            for (var i = 0; i < count; i++)
            {
                long header = tableOffset + (long)i * entrySize;
                yield return new Section(U32(elf, header + 4), (long)U64(elf, header + 24), U32(elf, header + 40), U32(elf, header + 44));
            }
        }

        private static ushort U16(byte[] b, long at) => BitConverter.ToUInt16(b, checked((int)at));
        private static uint U32(byte[] b, long at) => BitConverter.ToUInt32(b, checked((int)at));
        private static ulong U64(byte[] b, long at) => BitConverter.ToUInt64(b, checked((int)at));

        private static string CString(byte[] b, long at)
        {
            int start = checked((int)at);
            int end = Array.IndexOf(b, (byte)0, start);
            return Encoding.ASCII.GetString(b, start, end - start);
        }
    }
}

namespace Pipeline.Build
{
    /// <summary>
    /// MSBuild task: in each given copy of libLibTorchSharp.so, marks weak the libstdc++ versions it
    /// needs that the system libstdc++ lacks, provided each is on the allow-list of versions known to
    /// guard no called symbol. Leaves the file untouched where the system has them all.
    /// </summary>
    public sealed class WeakenMissingLibStdCxxVersions : Microsoft.Build.Utilities.Task
    {
        [Microsoft.Build.Framework.Required]
        public Microsoft.Build.Framework.ITaskItem[] Libraries { get; set; } = Array.Empty<Microsoft.Build.Framework.ITaskItem>();

        /// <summary>Semicolon-separated versions that may be made weak.</summary>
        public string WeakenableVersions { get; set; } = "GLIBCXX_3.4.32";

        public override bool Execute()
        {
            string? systemLib = ElfVersionNeeds.FindSystemLibStdCxx();
            if (systemLib == null)
            {
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, "No system libstdc++.so.6 found; libLibTorchSharp.so left as shipped.");
                return true;
            }
            var available = ElfVersionNeeds.ReadDefinitions(File.ReadAllBytes(systemLib));
            var weakenable = new HashSet<string>(WeakenableVersions.Split(new[] { ';' }, StringSplitOptions.RemoveEmptyEntries));

            foreach (var item in Libraries)
            {
                string path = item.ItemSpec;
                byte[] elf = File.ReadAllBytes(path);
                var missing = ElfVersionNeeds.ReadNeeds(elf)
                    .Where(n => n.File == "libstdc++.so.6" && !n.IsWeak && !available.Contains(n.Version))
                    .ToList();
                if (missing.Count == 0)
                    continue;

                var fatal = missing.Where(n => !weakenable.Contains(n.Version)).Select(n => n.Version).ToList();
                if (fatal.Count > 0)
                {
                    Log.LogWarning($"{path} needs {string.Join(", ", fatal)} from libstdc++, which {systemLib} lacks: TorchSharp will not load. Install a newer libstdc++ (GCC 13 or later).");
                    continue;
                }

                foreach (var need in missing)
                    ElfVersionNeeds.MarkWeak(elf, need.File, need.Version);

                // Write beside, then rename: a half-written native library must never be left behind.
                // Keep the original timestamp so incremental builds see the copy as up to date.
                var stamp = File.GetLastWriteTimeUtc(path);
                string temp = path + ".weakening";
                File.WriteAllBytes(temp, elf);
                File.SetLastWriteTimeUtc(temp, stamp);
                File.Replace(temp, path, destinationBackupFileName: null);
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High,
                    $"TorchSharp: marked {string.Join(", ", missing.Select(n => n.Version))} weak in {path} ({systemLib} lacks it; see docs/torchsharp-notes.md).");
            }
            return true;
        }
    }
}
