// SPDX-License-Identifier: MIT
// Tests of the C↔C# boundary check (issue 17): C prototypes as libclang reads them reduced to what a
// call passes (widths, signedness, pointers, enums, structs by value, variadics); C# signatures
// likewise; and a port build that fails, naming both sides, when a C# method implementing a kernel
// symbol has a wrong signature, while every symbol of the real shim passes.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Import.Clang;
using LinuxShim.Import.Port;
using LinuxShim.Import.Tests.Kernel;
using LinuxShim.Shim;
using LinuxShim.Tools;

namespace LinuxShim.Import.Tests.Port;

[Collection(KernelCollection.Name)]
public sealed class PrototypeCheckTests(KernelFixture kernel) : IDisposable
{
    private readonly string work = Path.Combine(Path.GetTempPath(), $"linuxshim-prototypes-{Guid.NewGuid():N}");

    public void Dispose()
    {
        try { Directory.Delete(work, recursive: true); } catch (IOException) { }
    }

    private Dictionary<string, CPrototype> Parse(string c, params string[] names)
    {
        Directory.CreateDirectory(work);
        string file = Path.Combine(work, "decls.c");
        File.WriteAllText(file, c);
        return PrototypeCheck.Read([(file, [])], names.ToHashSet(StringComparer.Ordinal));
    }

    [Fact]
    public void CPrototypesAreReducedToWhatACallPasses()
    {
        var p = Parse("""
            typedef unsigned long size_t;
            enum small { A, B };
            enum negative { N = -1, P = 1 };
            struct pair { long a, b; };
            struct dev;
            unsigned char f(signed char a, unsigned short b, int c, size_t d, long long e, enum small g, enum negative h,
                            struct dev *i, const char name[6], struct pair j, _Bool k, double l, void (*m)(int));
            void g(void);
            int v(const char *fmt, ...);
            """, "f", "g", "v", "absent");
        Assert.Equal(["f", "g", "v"], p.Keys.Order(StringComparer.Ordinal));
        var f = p["f"];
        Assert.Equal(new ValueShape(ValueClass.Integer, 1, false, "unsigned char"), f.Result);
        Assert.Equal(
            [(ValueClass.Integer, 1, true), (ValueClass.Integer, 2, false), (ValueClass.Integer, 4, true), (ValueClass.Integer, 8, false),
             (ValueClass.Integer, 8, true), (ValueClass.Integer, 4, false), (ValueClass.Integer, 4, true), (ValueClass.Pointer, 8, false),
             (ValueClass.Pointer, 8, false), (ValueClass.Record, 16, false), (ValueClass.Integer, 1, false), (ValueClass.Float, 8, true),
             (ValueClass.Pointer, 8, false)],
            f.Arguments.Select(a => (a.Class, a.Size, a.Signed)));
        Assert.False(f.Variadic);
        Assert.Equal(ValueClass.Void, p["g"].Result.Class);
        Assert.Empty(p["g"].Arguments);
        Assert.True(p["v"].Variadic);
    }

    [Fact]
    public void EachKindOfDifferenceIsNamed()
    {
        var p = Parse("""
            struct dev;
            int enable(struct dev *d);
            unsigned long sleep(unsigned int ms);
            int print(const char *fmt, ...);
            """, "enable", "sleep", "print");
        var managed = new Dictionary<string, ManagedPrototype>
        {
            ["enable"] = ManagedPrototype.From(typeof(Wrong).GetMethod(nameof(Wrong.Enable))!),
            ["sleep"] = ManagedPrototype.From(typeof(Wrong).GetMethod(nameof(Wrong.Sleep))!),
            ["print"] = ManagedPrototype.From(typeof(Wrong).GetMethod(nameof(Wrong.Print))!),
        };
        var report = PrototypeCheck.Compare(["enable", "sleep", "print", "missing"], p, managed);
        Assert.Equal(3, report.Checked);
        Assert.Empty(report.Undeclared); // "missing" has no C# method: not the check's business
        var all = string.Join("\n", report.Mismatches);
        Assert.Contains("enable: result: 4-byte signed integer (int) in C, 8-byte signed integer (long) in C#", all);
        Assert.Contains("argument 1: pointer (struct dev *) in C, 4-byte signed integer (int) in C#", all);
        Assert.Contains("sleep: result: 8-byte unsigned integer (unsigned long) in C, 4-byte unsigned integer (uint) in C#", all);
        Assert.Contains("argument 1: 4-byte unsigned integer (unsigned int) in C, 4-byte signed integer (int) in C#", all);
        Assert.Contains("print: variadic in C", all);
        Assert.Contains("1 arguments in C, 2 in C#", all);
        Assert.Contains("C#: LinuxShim.Import.Tests.Port.PrototypeCheckTests+Wrong.Enable(int) -> long", all);
        // Right signatures pass: nint for a pointer, the exact integer otherwise.
        Assert.Null(PrototypeCheck.Difference(p["enable"].Arguments[0], ManagedPrototype.From(typeof(Right).GetMethod(nameof(Right.Enable))!).Arguments[0]));
    }

    [Fact]
    public void APortBuildWithAWrongCSharpSignatureFailsNamingBothSides()
    {
        // The real shim, but pci_enable_device implemented by a method that takes an int and returns a long.
        var shim = PortCommand.ShimSide(kernel.Importer);
        var signatures = new Dictionary<string, ManagedPrototype>(shim.Signatures!)
        {
            ["pci_enable_device"] = ManagedPrototype.From(typeof(Wrong).GetMethod(nameof(Wrong.Enable))!),
        };
        var recipe = PortRecipe.Load(Path.Combine(TestRepository.Root, "ports", "8139too"));
        var e = Assert.Throws<ImportException>(() => PortBuilder.Build(kernel.Importer, recipe, shim with { Signatures = signatures }, work));
        Assert.Contains("differ from the kernel's prototypes for 1 symbol(s)", e.Message);
        Assert.Contains("pci_enable_device: result: 4-byte signed integer (int) in C, 8-byte signed integer (long) in C#", e.Message);
        Assert.Matches(@"C:  .*int pci_enable_device\(struct pci_dev \*dev\)  \(.*include/linux/pci\.h:\d+\)", e.Message);
        Assert.Contains("C#: LinuxShim.Import.Tests.Port.PrototypeCheckTests+Wrong.Enable(int) -> long", e.Message);
        Assert.False(File.Exists(Path.Combine(work, "8139too.so")));

        // The shim as it is passes, every symbol the driver takes from the host checked.
        var log = new List<string>();
        var build = PortBuilder.Build(kernel.Importer, recipe, shim, work, log.Add);
        Assert.Contains(log, l => System.Text.RegularExpressions.Regex.IsMatch(l,
            $@"^checked {build.Trampolines.Count} C# signatures against the headers' prototypes in \d+ ms$"));
    }

    private static class Wrong
    {
        // Meant for pci_enable_device (not marked [KernelSymbol]: the coverage tests read this assembly's marks).
        [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
        public static long Enable(int dev) => 0;

        public static uint Sleep(int ms) => 0;

        public static int Print(nint fmt, nint arg) => 0;
    }

    private static class Right
    {
        public static int Enable(nint dev) => 0;
    }
}
