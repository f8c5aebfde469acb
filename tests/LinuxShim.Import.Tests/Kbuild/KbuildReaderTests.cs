// SPDX-License-Identifier: MIT
// Tests for KbuildReader on in-memory trees: obj-m/obj-y, composites, subdirectories and errors.
using LinuxShim.Import.Kbuild;

namespace LinuxShim.Import.Tests.Kbuild;

public class KbuildReaderTests
{
    private const string Dir = "drivers/net/foo";

    private static KbuildDirectory ReadOne(string makefile, string autoConf, params string[] sources)
    {
        var tree = new MemoryTree().Add($"{Dir}/Makefile", makefile).Sources(sources.Select(s => $"{Dir}/{s}").ToArray());
        return tree.Reader(autoConf).Read(Dir, recurse: false);
    }

    private static KbuildModule Single(KbuildDirectory d) => Assert.Single(d.Modules);

    [Fact]
    public void ModuleWhenSymbolIsM()
    {
        var d = ReadOne("obj-$(CONFIG_X) += a.o\n", "CONFIG_X=m\n", "a.c");
        var m = Single(d);
        Assert.Equal("a", m.Name);
        Assert.Equal(Dir, m.Directory);
        Assert.Equal([$"{Dir}/a.c"], m.Sources);
        Assert.Equal([$"{Dir}/a.o"], m.Objects);
        Assert.Equal("CONFIG_X", m.ConfigSymbol);
        Assert.Equal($"{Dir}/a.ko", m.KoPath);
        Assert.Empty(d.BuiltInObjects);
        Assert.Equal($"{Dir}/Makefile", d.MakefilePath);
    }

    [Fact]
    public void BuiltInWhenSymbolIsY()
    {
        var d = ReadOne("obj-$(CONFIG_X) += a.o\n", "CONFIG_X=y\n", "a.c");
        Assert.Empty(d.Modules);
        Assert.Equal([$"{Dir}/a.o"], d.BuiltInObjects);
    }

    [Fact]
    public void NothingWhenSymbolIsUnset()
    {
        var d = ReadOne("obj-$(CONFIG_X) += a.o\n", "CONFIG_OTHER=m\n", "a.c");
        Assert.Empty(d.Modules);
        Assert.Empty(d.BuiltInObjects);
        Assert.Empty(d.Warnings);
    }

    [Fact]
    public void ObjectInBothObjYAndObjMIsOnlyBuiltIn()
    {
        var d = ReadOne("obj-y += a.o\nobj-m += a.o b.o\n", "", "a.c", "b.c");
        Assert.Equal("b", Single(d).Name);
        Assert.Null(Single(d).ConfigSymbol);
    }

    [Fact]
    public void CompositeFromObjs()
    {
        var d = ReadOne("r8169-objs += main.o firmware.o phy.o\nobj-$(CONFIG_R8169) += r8169.o\n", "CONFIG_R8169=m\n",
            "main.c", "firmware.c", "phy.c");
        var m = Single(d);
        Assert.Equal("r8169", m.Name);
        Assert.Equal([$"{Dir}/main.o", $"{Dir}/firmware.o", $"{Dir}/phy.o"], m.Objects);
        Assert.Equal([$"{Dir}/main.c", $"{Dir}/firmware.c", $"{Dir}/phy.c"], m.Sources);
    }

    [Fact]
    public void CompositeFromYAndConfigDependentParts()
    {
        const string mk = """
            obj-$(CONFIG_FOO) += foo.o
            foo-y := core.o
            foo-$(CONFIG_OPT_Y) += opt_y.o
            foo-$(CONFIG_OPT_M) += opt_m.o
            foo-$(CONFIG_OPT_UNSET) += opt_n.o
            foo-$(CONFIG_FCOE:m=y) += fcoe.o
            foo-y += core.o entry.o
            """;
        var d = ReadOne(mk, "CONFIG_FOO=m\nCONFIG_OPT_Y=y\nCONFIG_OPT_M=m\nCONFIG_FCOE=m\n",
            "core.c", "opt_y.c", "opt_m.c", "opt_n.c", "fcoe.c", "entry.S");
        var m = Single(d);
        // foo-objs, then foo-y, then foo-m (Kbuild's order); duplicates dropped; foo- (unset) ignored.
        Assert.Equal(new[] { "core", "opt_y", "fcoe", "entry", "opt_m" }.Select(o => $"{Dir}/{o}.o"), m.Objects);
        Assert.Equal($"{Dir}/entry.S", m.Sources[3]);
    }

    [Fact]
    public void NestedCompositeAndObjectsInSubdirectories()
    {
        const string mk = """
            obj-m += big.o
            big-y := main.o helpers.o hw/regs.o
            helpers-y := h1.o h2.o
            obj-m += tools/probe.o
            """;
        var d = ReadOne(mk, "", "main.c", "h1.c", "h2.c", "hw/regs.c", "tools/probe.c");
        Assert.Equal(2, d.Modules.Count);
        var big = d.Modules[0];
        Assert.Equal(new[] { "main", "h1", "h2", "hw/regs" }.Select(o => $"{Dir}/{o}.o"), big.Objects);
        Assert.Equal($"{Dir}/hw/regs.c", big.Sources[3]);
        var probe = d.Modules[1];
        Assert.Equal("probe", probe.Name);
        Assert.Equal(Dir, probe.Directory);
        Assert.Equal($"{Dir}/tools/probe.ko", probe.KoPath);
        Assert.Equal([$"{Dir}/tools/probe.c"], probe.Sources);
    }

    [Fact]
    public void MissingSourceIsAWarningNotAnError()
    {
        var d = ReadOne("obj-m += gen.o\n", "");
        Assert.Equal([$"{Dir}/gen.c"], Single(d).Sources);
        Assert.Contains(d.Warnings, w => w.Contains("no source file for drivers/net/foo/gen.o"));
    }

    [Fact]
    public void Conditionals()
    {
        const string mk = """
            ifeq ($(CONFIG_A),y)
              obj-m += a_is_y.o
            else
              obj-m += a_not_y.o
            endif
            ifneq ($(CONFIG_B),)
              obj-m += b_set.o
            endif
            ifeq '$(CONFIG_C)' 'm'
              obj-m += c_quoted.o
            endif
            ifdef CONFIG_A
              ifndef CONFIG_UNSET
                obj-m += nested.o
              else
                obj-m += wrong1.o
              endif
            endif
            ifeq ($(CONFIG_B),y)
              obj-m += wrong2.o
            else ifeq ("$(CONFIG_B)","m")
              obj-m += else_if.o
            else
              obj-m += wrong3.o
            endif
            ifdef CONFIG_UNSET
              ifeq ($(CONFIG_A),y)
                obj-m += wrong4.o
              else
                obj-m += wrong5.o
              endif
            endif
            """;
        var d = ReadOne(mk, "CONFIG_A=y\nCONFIG_B=m\nCONFIG_C=m\n");
        Assert.Equal(["a_is_y", "b_set", "c_quoted", "nested", "else_if"], d.Modules.Select(m => m.Name));
        Assert.Equal("CONFIG_A", d.Modules[0].ConfigSymbol);
        Assert.Equal("CONFIG_B", d.Modules[1].ConfigSymbol);
        Assert.Null(d.Modules[4].ConfigSymbol); // chosen by an else branch
    }

    [Fact]
    public void AssignmentFlavoursContinuationsAndComments()
    {
        const string mk = """
            # comment line
            late = $(parts)
            early := $(parts)
            parts := one.o \
                     two.o   # trailing comment
            parts += three.o
            dflt ?= dflt.o
            dflt ?= ignored.o
            obj-m += $(late) $(early) $(dflt) ${braced}
            braced := braced.o
            """;
        var d = ReadOne(mk, "");
        Assert.Equal(["one", "two", "three", "dflt"], d.Modules.Select(m => m.Name));
    }

    [Fact]
    public void MakeFunctions()
    {
        const string mk = """
            names := a b c
            obj-m += $(addsuffix .o,$(filter-out b,$(names)))
            obj-m += $(patsubst %.c,%.o,d.c) $(subst X,e,X.o) $(strip   f.o   )
            obj-m += $(if $(CONFIG_Y),g.o,wrong.o) $(if $(CONFIG_UNSET),wrong.o)
            obj-m += $(filter h.o,h.o i.o) $(notdir sub/j.o) $(firstword k.o l.o)
            obj-m += $(foreach n,m n,$(n).o) $(sort p.o o.o p.o)
            pick = $(1)$(2).o
            obj-m += $(call pick,q,r)
            ccflags-y += $(addprefix -I$(src)/,inc1 inc2) $(call cc-option,-fno-foo) $(shell echo -DX)
            include $(src)/extra.mk
            """;
        var d = ReadOne(mk, "CONFIG_Y=y\n");
        Assert.Equal(["a", "c", "d", "e", "f", "g", "h", "j", "k", "m", "n", "o", "p", "qr"], d.Modules.Select(m => m.Name));
        Assert.Equal([$"-I{{srctree}}/{Dir}/inc1", $"-I{{srctree}}/{Dir}/inc2"], d.CFlags);
        Assert.Contains(d.Warnings, w => w.StartsWith($"{Dir}/Makefile:9: ") && w.Contains("cc-option"));
        Assert.Contains(d.Warnings, w => w.Contains("$(shell"));
        Assert.Contains(d.Warnings, w => w.StartsWith($"{Dir}/Makefile:10: ") && w.Contains("include"));
    }

    [Fact]
    public void CompilerFlags()
    {
        const string mk = """
            obj-m += a.o
            ccflags-y := -I$(src) -I $(srctree)/$(src)/include -I$(src)/../common -DFOO=1
            ccflags-$(CONFIG_DEBUG) += -DDEBUG
            ccflags-$(CONFIG_UNSET) += -DWRONG
            ccflags-remove-y += -DFOO=1
            CFLAGS_a.o := -I$(srctree)/include/extra -DA_ONLY
            CFLAGS_REMOVE_a.o := -DDEBUG
            asflags-y += -DASM
            AFLAGS_a.o += -DA_ASM
            """;
        var d = ReadOne(mk, "CONFIG_DEBUG=y\n", "a.c");
        Assert.Equal(["-I{srctree}/drivers/net/foo", "-I{srctree}/drivers/net/foo/include", "-I{srctree}/drivers/net/common", "-DDEBUG"], d.CFlags);
        Assert.Equal(["-I{srctree}/drivers/net/foo", "-I{srctree}/drivers/net/foo/include", "-I{srctree}/drivers/net/common",
            "-I{srctree}/include/extra", "-DA_ONLY"], d.CFlagsFor($"{Dir}/a.o"));
        Assert.Equal(["-DASM"], d.AsFlags);
        Assert.Equal(["-DA_ASM"], d.ObjectAsFlags[$"{Dir}/a.o"]);
    }

    [Fact]
    public void SubdirectoriesAndInheritedFlags()
    {
        var tree = new MemoryTree()
            .Add("drivers/net/Makefile", """
                subdir-ccflags-y += -DTOP -I$(src)/include
                ccflags-y += -DLOCAL_ONLY
                obj-$(CONFIG_VENDOR) += vendor/
                obj-y += common/
                subdir-m += tools
                obj-$(CONFIG_UNSET) += off/
                """)
            .Add("drivers/net/vendor/Kbuild", "subdir-ccflags-y += -DVENDOR\nobj-m += v.o\nobj-m += deep/\n")
            .Add("drivers/net/vendor/Makefile", "obj-m += wrong.o\n")
            .Add("drivers/net/vendor/deep/Makefile", "obj-m += d.o\n")
            .Add("drivers/net/common/Makefile", "obj-$(CONFIG_COMMON) += c.o\n")
            .Add("drivers/net/tools/Makefile", "obj-m += t.o\n")
            .Add("drivers/net/off/Makefile", "obj-m += off.o\n")
            .Sources("drivers/net/vendor/v.c", "drivers/net/vendor/deep/d.c", "drivers/net/common/c.c", "drivers/net/tools/t.c");
        var reader = tree.Reader("CONFIG_VENDOR=m\nCONFIG_COMMON=m\n");

        var flat = reader.Read("drivers/net", recurse: false);
        Assert.Equal(["drivers/net/common", "drivers/net/tools", "drivers/net/vendor"], flat.Subdirectories);
        Assert.Empty(flat.Children);
        Assert.Empty(flat.Modules);
        Assert.DoesNotContain("drivers/net/vendor/Kbuild", tree.Reads);

        var top = reader.Read("drivers/net/", recurse: true);
        // tools/ is visited through subdir-m only, so Kbuild builds no modules there.
        Assert.Equal(["c", "v", "d"], top.AllModules().Select(m => m.Name));
        var tools = top.Children.Single(c => c.Path == "drivers/net/tools");
        Assert.Empty(tools.Modules);
        Assert.Contains(tools.Warnings, w => w.Contains("(t) are not built"));
        var vendor = top.Children.Single(c => c.Path == "drivers/net/vendor");
        Assert.Equal("drivers/net/vendor/Kbuild", vendor.MakefilePath);
        Assert.Equal(["-DTOP", "-I{srctree}/drivers/net/include", "-DVENDOR"], vendor.CFlags);
        var deep = Assert.Single(vendor.Children);
        Assert.Equal(["-DTOP", "-I{srctree}/drivers/net/include", "-DVENDOR"], deep.CFlags);
        Assert.Equal(["-DTOP", "-I{srctree}/drivers/net/include", "-DLOCAL_ONLY"], top.CFlags);
        Assert.Equal(5, top.SelfAndDescendants().Count());
    }

    [Fact]
    public void DirectoryWithoutMakefile()
    {
        var tree = new MemoryTree().Sources($"{Dir}/a.c");
        var e = Assert.Throws<ImportException>(() => tree.Reader("").Read(Dir, recurse: false));
        Assert.Equal($"{Dir} has no Makefile or Kbuild", e.Message);
    }

    [Fact]
    public void SubdirectoryWithoutMakefile()
    {
        var tree = new MemoryTree().Add($"{Dir}/Makefile", "obj-m += sub/\n").Sources($"{Dir}/sub/a.c");
        var e = Assert.Throws<ImportException>(() => tree.Reader("").Read(Dir, recurse: true));
        Assert.Equal($"{Dir}/sub has no Makefile or Kbuild", e.Message);
    }

    [Fact]
    public void MissingDirectory()
    {
        var e = Assert.Throws<ImportException>(() => new MemoryTree().Sources("x/a.c").Reader("").Read("drivers/none", recurse: false));
        Assert.Contains("drivers/none does not exist", e.Message);
    }

    [Theory]
    [InlineData("ifeq ($(CONFIG_A),y)\nobj-m += a.o\n", "Makefile:1: conditional has no matching endif")]
    [InlineData("obj-m += a.o\nendif\n", "Makefile:2: endif without a matching if")]
    [InlineData("else\n", "Makefile:1: else without a matching if")]
    [InlineData("ifeq (a b)\nendif\n", "Makefile:1: malformed conditional arguments")]
    [InlineData("obj-m += $(foo\n", "Makefile:1: unterminated variable reference")]
    [InlineData("define X\nobj-m += a.o\n", "Makefile:1: define X has no matching endef")]
    public void MalformedMakefile(string makefile, string expected)
    {
        var e = Assert.Throws<ImportException>(() => ReadOne(makefile, ""));
        Assert.StartsWith($"{Dir}/", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void RulesAndRecipesAreSkipped()
    {
        const string mk = "obj-m += a.o\n$(obj)/gen.h: $(src)/gen.txt\n\tobj-m += wrong.o\n\t@echo x = y\n\nobj-m += b.o\n";
        var d = ReadOne(mk, "", "a.c", "b.c");
        Assert.Equal(["a", "b"], d.Modules.Select(m => m.Name));
        Assert.Empty(d.Warnings);
    }
}
