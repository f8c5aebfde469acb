// SPDX-License-Identifier: MIT
// Tests of the glue descriptor check (issue 17): struct linuxshim_glue as libclang reads it against its managed
// mirror, field by field, each difference naming both sides; and a port build with a mirror that differs from
// shim/include/linuxshim/glue.h fails before linking; the host refuses a library of another glue version.
using System.Runtime.InteropServices;
using LinuxShim.Import.Port;
using LinuxShim.Import.Tests.Kernel;
using LinuxShim.Import.Tests.Tree;
using LinuxShim.Shim;
using LinuxShim.Shim.Host;
using LinuxShim.Tools;

namespace LinuxShim.Import.Tests.Port;

[Collection(KernelCollection.Name)]
public sealed class GlueCheckTests(KernelFixture kernel) : IDisposable
{
    private readonly TempDirectory scratch = new();

    private string Work => scratch.Path;

    public void Dispose() => scratch.Dispose();

    private BoundaryStruct ReadHeader(string c)
    {
        Directory.CreateDirectory(Path.Combine(Work, "include", "test"));
        File.WriteAllText(Path.Combine(Work, "include", "test", "glue.h"), c);
        return GlueCheck.Read("test/glue.h", "linuxshim_glue", ["-I" + Path.Combine(Work, "include")], Path.Combine(Work, "scratch"));
    }

    private const string Header = """
        struct linuxshim_glue {
            unsigned int version;
            unsigned int op_count;
            void **ops;
            unsigned long *jiffies;
        };
        """;

    [Fact]
    public void TheCStructIsReadFieldByField()
    {
        var c = ReadHeader(Header);
        Assert.Equal(24, c.Size);
        Assert.Equal([("version", 0L, 4L), ("op_count", 4, 4), ("ops", 8, 8), ("jiffies", 16, 8)], c.Fields.Select(f => (f.Name, f.Offset, f.Size)));
        Assert.Empty(GlueCheck.Compare(c, BoundaryStruct.Of(typeof(Right))));
        var e = Assert.Throws<ImportException>(() => ReadHeader("struct other { int a; };"));
        Assert.Equal("<test/glue.h> defines no struct linuxshim_glue", e.Message);
    }

    [Fact]
    public void AFieldOfAnotherSizeIsNamedWithBothSides()
    {
        var differences = GlueCheck.Compare(ReadHeader(Header), BoundaryStruct.Of(typeof(WideCount)));
        // The first names the field; the ones after it, moved by it, follow.
        Assert.Equal("struct linuxshim_glue (<test/glue.h>).op_count (offset 4, 4 bytes) differs from "
                     + "LinuxShim.Import.Tests.Port.GlueCheckTests+WideCount.OpCount (op_count, offset 8, 8 bytes)", differences[0]);
    }

    [Fact]
    public void AMissingOrReorderedFieldIsNamedWithBothSides()
    {
        var c = ReadHeader(Header);
        var missing = Assert.Single(GlueCheck.Compare(c, BoundaryStruct.Of(typeof(NoJiffies))));
        Assert.Equal("struct linuxshim_glue (<test/glue.h>).jiffies (offset 16, 8 bytes) has no field in LinuxShim.Import.Tests.Port.GlueCheckTests+NoJiffies", missing);
        var swapped = Assert.Single(GlueCheck.Compare(c, BoundaryStruct.Of(typeof(Swapped))));
        Assert.Equal("struct linuxshim_glue (<test/glue.h>).ops (offset 8, 8 bytes) differs from "
                     + "LinuxShim.Import.Tests.Port.GlueCheckTests+Swapped.Jiffies (jiffies, offset 8, 8 bytes)", swapped);
    }

    [Fact]
    public void APortBuildWithAMirrorThatDiffersFromTheHeaderFails()
    {
        // The real shim, but with the descriptor's version-1 mirror (before the data pointers): the build stops.
        var shim = PortCommand.ShimSide(kernel.Importer) with { Glue = BoundaryStruct.Of(typeof(VersionOne)) };
        var recipe = PortRecipe.Load(Path.Combine(TestRepository.Root, "ports", "8139too"));
        var e = Assert.Throws<ImportException>(() => PortBuilder.Build(kernel.Importer, recipe, shim, Work));
        Assert.Contains("the glue descriptor's C definition and its managed mirror differ", e.Message);
        Assert.Contains("struct linuxshim_glue (<linuxshim/glue.h>).init (offset 48, 8 bytes) has no field in "
                        + "LinuxShim.Import.Tests.Port.GlueCheckTests+VersionOne", e.Message);
        Assert.False(File.Exists(Path.Combine(Work, "8139too.so")));
        // The shim's own mirror is the one the header defines.
        Assert.Equal(typeof(Glue).FullName, PortCommand.ShimSide(kernel.Importer).Glue.Declared);
    }

    [Fact]
    public void EveryHostOperationIsDeclaredInTheOneHeaderAndNowhereElse()
    {
        var declared = System.Text.RegularExpressions.Regex.Matches(NativeSources.Read("include/" + GlueCheck.Header), @"\b(linuxshim_host_\w+)\(")
            .Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        var hostOps = DriverLibrary.ManagedMethods().Keys.Where(k => k.StartsWith("linuxshim_host_", StringComparison.Ordinal));
        Assert.Equal(hostOps.Order(StringComparer.Ordinal), declared.Order(StringComparer.Ordinal));
        // No other header or C file declares one (a call, as in asm/io.h's inline accessors, is no declaration).
        var declaration = new System.Text.RegularExpressions.Regex(@"^\w[\w\s\*]*\blinuxshim_host_\w+\(", System.Text.RegularExpressions.RegexOptions.Multiline);
        Assert.DoesNotContain(NativeSources.Names, n => n != "include/" + GlueCheck.Header && declaration.IsMatch(NativeSources.Read(n)));
    }

    [Fact]
    public void TheHostRefusesALibraryOfAnotherGlueVersion()
    {
        var shim = PortCommand.ShimSide(kernel.Importer) with { GlueVersion = Glue.CurrentVersion + 1 };
        var recipe = PortRecipe.Load(Path.Combine(TestRepository.Root, "ports", "8139too"));
        var build = PortBuilder.Build(kernel.Importer, recipe, shim, Work);
        var e = Assert.Throws<InvalidDataException>(() => DriverLibrary.Load(build.Library));
        Assert.Equal($"{build.Library} has glue version {Glue.CurrentVersion + 1}, this host speaks {Glue.CurrentVersion}: rebuild the port", e.Message);
    }

    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct Right
    {
        public uint Version, OpCount;
        public nint* Ops;
        public nuint* Jiffies;
    }

    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct WideCount
    {
        public uint Version;
        public ulong OpCount;
        public nint* Ops;
    }

    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct NoJiffies
    {
        public uint Version, OpCount;
        public nint* Ops;
    }

    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct Swapped
    {
        public uint Version, OpCount;
        public nuint* Jiffies;
        public nint* Ops;
    }

    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct VersionOne
    {
        public uint Version, OpCount;
        public nint* Ops;
        public nint* OpNames;
        public uint StubCount;
        public nint* StubNames;
        public nint Module;
    }
}
