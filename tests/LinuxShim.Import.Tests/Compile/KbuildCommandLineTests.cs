// SPDX-License-Identifier: MIT
// Tests of turning Kbuild's gcc command line into libclang arguments.
using LinuxShim.Import.Compile;

namespace LinuxShim.Import.Tests.Compile;

public class KbuildCommandLineTests
{
    private const string Command =
        "gcc-12 -Wp,-MMD,/tmp/p/.x.o.d -nostdinc -I/src/common/arch/x86/include -I./arch/x86/include/generated " +
        "-I/src/common/include -I./include -include /src/common/include/linux/kconfig.h " +
        "-include /src/common/include/linux/compiler_types.h -D__KERNEL__ -fmacro-prefix-map=/src/common/= -Wall " +
        "-std=gnu11 -mno-sse -mindirect-branch=thunk-extern -O2 -fno-PIE -pg -DCC_USING_FENTRY -DMODULE " +
        "-DKBUILD_BASENAME='\"x\"' -DKBUILD_MODNAME='\"x\"' -D__KBUILD_MODNAME=kmod_x -c -o /tmp/p/x.o /tmp/p/x.c";

    [Fact]
    public void KeepsWhatChangesParsingAndMarksTheSourceTree()
    {
        var cl = KbuildCommandLine.FromCommand(Command, "/build");
        Assert.Equal("/src/common", cl.ConfiguredSourceTree);
        Assert.Contains("-I{srctree}/include", cl.BaseArguments);
        Assert.Contains("-I/build/include", cl.BaseArguments);
        Assert.Contains("{srctree}/include/linux/kconfig.h", cl.BaseArguments);
        Assert.Contains("-DCC_USING_FENTRY", cl.BaseArguments);
        Assert.Contains("-std=gnu11", cl.BaseArguments);
        Assert.Contains("-O2", cl.BaseArguments);
        Assert.DoesNotContain(cl.BaseArguments, a => a.StartsWith("-W", StringComparison.Ordinal) || a.Contains("mindirect") || a == "-pg");
        Assert.DoesNotContain(cl.BaseArguments, a => a.Contains("KBUILD_MODNAME"));
    }

    [Fact]
    public void PerFileArgumentsNameTheModuleAndTheTree()
    {
        var cl = KbuildCommandLine.FromCommand(Command, "/build");
        var args = cl.ArgumentsFor("/trees/linux", "8139-too", "8139too", ["-I{srctree}/drivers/x"]);
        Assert.Contains("-I/trees/linux/include", args);
        Assert.Contains("-I/trees/linux/drivers/x", args);
        Assert.Contains("-DKBUILD_MODNAME=\"8139_too\"", args);
        Assert.Contains("-DKBUILD_BASENAME=\"8139too\"", args);
        Assert.Contains("-D__KBUILD_MODNAME=kmod_8139_too", args);
    }

    [Fact]
    public void ACommandWithoutKconfigIsNotAKernelBuild()
    {
        var e = Assert.Throws<ImportException>(() => KbuildCommandLine.FromCommand("gcc -c x.c", "/build"));
        Assert.Contains("/build", e.Message);
    }

    [Theory]
    [InlineData("a 'b c' d", new[] { "a", "b c", "d" })]
    [InlineData("-DX='\"y\"'", new[] { "-DX=\"y\"" })]
    [InlineData("\"a\\\"b\"  c\\ d", new[] { "a\"b", "c d" })]
    public void ShellWordsSplitLikeSh(string command, string[] words) => Assert.Equal(words, ShellWords.Split(command));
}
