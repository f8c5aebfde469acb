// SPDX-License-Identifier: MIT
// Test helper. A fake system root laid out as Debian installs kernels: /usr/src/linux-source-X.Y (a tiny
// tree directory, or a tarball name), /usr/src/linux-headers-ABI-amd64 (a configured build directory whose
// Makefile prints a gcc command to `make -n`, as Kbuild would), its -common tree and the linux-kbuild
// scripts it links to, each of which a test can leave out to play a half-installed package.
namespace LinuxShim.Import.Tests.Install;

internal sealed class FakeInstall : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("linuxshim-sysroot-").FullName;

    public void Dispose() => Directory.Delete(Root, recursive: true);

    public string UsrSrc => Path.Combine(Root, "usr/src");

    /// <summary>/usr/src/linux-source-SERIES as a directory with a top-level Makefile of that version.</summary>
    public string Source(string series, int sublevel)
    {
        string dir = Path.Combine(UsrSrc, $"linux-source-{series}");
        var parts = series.Split('.');
        Put(dir, "Makefile", $"# SPDX-License-Identifier: GPL-2.0\nVERSION = {parts[0]}\nPATCHLEVEL = {parts[1]}\nSUBLEVEL = {sublevel}\nEXTRAVERSION =\n");
        Put(dir, "include/linux/kconfig.h", "");
        Put(dir, "drivers/foo/Makefile", "obj-m += foo.o\n");
        return dir;
    }

    /// <summary>/usr/src/linux-source-SERIES.tar.xz: only its name is read unless it is chosen.</summary>
    public string SourceTarball(string series)
    {
        string file = Path.Combine(UsrSrc, $"linux-source-{series}.tar.xz");
        Directory.CreateDirectory(UsrSrc);
        File.WriteAllText(file, "not read");
        return file;
    }

    /// <summary>
    /// linux-headers-ABI-amd64 configured for <paramref name="release"/> (include/config/kernel.release), with
    /// linux-headers-ABI-common and usr/lib/linux-kbuild-<paramref name="kbuild"/> unless told to leave them out.
    /// </summary>
    public string Headers(string abi, string release, string kbuild, bool common = true, bool scripts = true, bool symvers = true)
    {
        string dir = Path.Combine(UsrSrc, $"linux-headers-{abi}-amd64");
        string commonDir = Path.Combine(UsrSrc, $"linux-headers-{abi}-common");
        Put(dir, "include/generated/autoconf.h", "#define CONFIG_NET 1\n");
        Put(dir, "include/config/auto.conf", "CONFIG_NET=y\nCONFIG_FOO=m\n");
        Put(dir, "include/config/kernel.release", release + "\n");
        if (symvers)
            Put(dir, "Module.symvers", "0x12345678\tnetif_rx\tvmlinux\tEXPORT_SYMBOL\t\n");
        // `make -s -n -C DIR M=PROBE modules` prints this command, as Kbuild prints the compiler's.
        Put(dir, "Makefile", $"include {commonDir}/Makefile\n");
        if (common)
            Put(commonDir, "Makefile",
                "modules:\n\tgcc -Wp,-MMD,x.d -nostdinc -I" + commonDir + "/include -include " + commonDir + "/include/linux/kconfig.h"
                + " -D__KERNEL__ -DMODULE -std=gnu11 -c -o $(M)/linuxshim_probe.o $(M)/linuxshim_probe.c\n");
        string lib = Path.Combine(Root, "usr/lib", $"linux-kbuild-{kbuild}");
        if (scripts)
            Directory.CreateDirectory(Path.Combine(lib, "scripts"));
        Directory.CreateSymbolicLink(Path.Combine(dir, "scripts"), $"../../lib/linux-kbuild-{kbuild}/scripts");
        return dir;
    }

    /// <summary>Debian 12's two kernels as they install: 6.1 (ABI 6.1.0-57) and 6.12.118.</summary>
    public FakeInstall WithBoth()
    {
        Source("6.1", 192);
        Headers("6.1.0-57", "6.1.192", "6.1");
        Source("6.12", 118);
        Headers("6.12.118+deb12", "6.12.118+deb12-amd64", "6.12.118+deb12");
        return this;
    }

    private static void Put(string dir, string relative, string text)
    {
        string path = Path.Combine(dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }
}
