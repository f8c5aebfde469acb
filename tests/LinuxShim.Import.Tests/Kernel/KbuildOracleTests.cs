// SPDX-License-Identifier: MIT
// The importer's requires against the kernel's own answer: Kbuild builds the same directory from
// the same tree and configuration at test time, and nm -u of each .ko is the truth.
using LinuxShim.Import.Verify;
using Xunit.Abstractions;

namespace LinuxShim.Import.Tests.Kernel;

[Collection(KernelCollection.Name)]
public class KbuildOracleTests(KernelFixture kernel, ITestOutputHelper output)
{
    [Theory]
    [InlineData("drivers/net/ethernet/realtek", new[] { "8139cp", "8139too", "r8169" })]
    [InlineData("drivers/net/ethernet/intel/e1000", new[] { "e1000" })]
    public void RequiresMatchTheUndefinedSymbolsOfTheBuiltModules(string directory, string[] modules)
    {
        var model = kernel.Importer.Scan(directory);
        string work = Path.Combine(Path.GetTempPath(), "linuxshim-oracle-" + Guid.NewGuid().ToString("N"));
        try
        {
            var oracle = KbuildOracle.BuildEach(kernel.Importer.Tree, kernel.Build, kernel.Importer.Build.Config.Hash,
                model.Modules.Select(m => m.Directory), work, cacheDir: null, out var failures);
            Assert.Empty(failures);
            Assert.Equal(modules, oracle.Keys.Order(StringComparer.Ordinal));
            Assert.Equal(modules, model.Modules.Select(m => m.Name));
            foreach (var row in OracleComparison.Compare(model, oracle))
            {
                output.WriteLine($"{row.Module}: kbuild {row.Truth} scan {row.Predicted} recall {row.Recall:P1} precision {row.Precision:P1} extra {string.Join(' ', row.Extra)}");
                Assert.True(row.Truth > 20, $"{row.Module}: Kbuild's module imports only {row.Truth} symbols");
                Assert.True(row.Missing.Count == 0, $"{row.Module}: scan misses {string.Join(' ', row.Missing)}");
                Assert.True(row.Precision >= 0.98, $"{row.Module}: precision {row.Precision:P1}, extra {string.Join(' ', row.Extra)}");
            }
        }
        finally
        {
            if (Directory.Exists(work))
                Directory.Delete(work, recursive: true);
        }
    }

    // Each class of what GCC makes of a driver's source beyond the calls written in it, on a few small modules
    // that have it: Kbuild builds just those modules, and scan's requires must be exactly nm -u of each .ko.
    [Theory]
    // Inline assembly calling "__get_user_%P4", "__put_user_%P[size]": the size is in the name.
    [InlineData("drivers/watchdog", "ib700wdt", "__get_user_1 __get_user_4 __put_user_4", "")]
    // strncmp with a bound past a literal's length is strcmp (watchdog_dev.c), short comparisons are inline.
    [InlineData("drivers/watchdog", "watchdog", "strcmp", "strncmp")]
    // "static const int buflen = 28" makes kmalloc(buflen) a constant-size allocation (kalmia.c).
    [InlineData("drivers/net/usb", "kalmia", "kmalloc_trace kmalloc_caches", "__kmalloc")]
    // memcmp compared with zero over a few bytes is expanded inline (usb_debug.c, pl2303.c); fortify's
    // checks in a loop body see their sizes (kobil_sct.c: no fortify_panic).
    [InlineData("drivers/usb/serial", "usb_debug pl2303 kobil_sct", "", "memcmp fortify_panic __warn_printk")]
    // ... when GCC compares in at most four loads of each side: hid-lenovo's 13-byte report descriptor check is
    // inline, its 29-byte one (8 + 8 + 8 + 4 + 1) a call.
    [InlineData("drivers/hid", "hid-lenovo", "memcmp", "")]
    // &a[k] is a + k to __builtin_object_size: dvbsky's memcpy(&obuf[3], …) into a local array keeps fortify_panic,
    // mxl111sf's memcpy(&state->sndbuf[1], wbuf, wlen) the field-spanning WARN_ONCE.
    [InlineData("drivers/media/usb/dvb-usb-v2", "dvb-usb-dvbsky dvb-usb-mxl111sf", "fortify_panic __warn_printk", "")]
    // An int counter against a u32 bound of a u8 pair's range, copying one pointer's bytes forward: a memmove
    // (tpm_infineon's tpm_inf_recv).
    [InlineData("drivers/char/tpm", "tpm_infineon", "memmove", "")]
    // Sizes with an upper bound: usb_wwan's "if (todo > OUT_BUFLEN) todo = OUT_BUFLEN" in a loop (memcpy inline,
    // fortify's check gone); mcba_usb's u8 length into a local struct's 8-byte member (inline, the check stays).
    [InlineData("drivers/usb/serial", "usb_wwan", "", "memcpy fortify_panic __warn_printk")]
    [InlineData("drivers/net/can/usb", "mcba_usb", "fortify_panic", "memcpy")]
    // Literals through fortify's local pointers (adt7411's strscpy of "adt7411"), and a literal chosen by a
    // condition (atiixp's strcpy(card->driver, c ? "ATIIXP" : "ATIIXP-SPDMA"): strnlen, no strlen).
    [InlineData("drivers/hwmon", "adt7411", "", "strnlen fortify_panic")]
    [InlineData("sound/pci", "snd-atiixp", "strnlen", "strlen")]
    // A literal through a local pointer set by a condition (ua101) or by a switch's cases (trident).
    [InlineData("sound/usb/misc", "snd-ua101", "strnlen", "strlen")]
    [InlineData("sound/pci/trident", "snd-trident", "strnlen", "strlen")]
    // A signed count clamped by min_t(long, count, …) may be negative: check_copy_size keeps __copy_overflow.
    [InlineData("sound/firewire/bebob", "snd-bebob", "__copy_overflow", "")]
    // A loop that only zeroes, counted (fireface's write_pcm_silence), is a memset.
    [InlineData("sound/firewire/fireface", "snd-fireface", "memset __copy_overflow", "")]
    // Any constant into bytes from a start not known (clip's "while (off < 16) buf[off++] = ' '"), a zero
    // aggregate up to "1U << log" (sch_fq's "array[idx] = RB_ROOT"): memset calls too.
    [InlineData("net/atm", "clip", "memset", "")]
    [InlineData("net/sched", "sch_fq", "memset", "")]
    // An array ending its struct, the struct reached through a subscripted pointer, has no known size:
    // nla_put_string(skb, …, helper->expect_policy[i].name) is strlen, not strnlen.
    [InlineData("net/netfilter", "nfnetlink_cthelper", "strlen", "")]
    // What kzalloc(PAGE_SIZE, …) returns has that size: fortify's strlen of it is strnlen, its check stays.
    [InlineData("sound/soc/sof", "snd-sof-probes", "strnlen fortify_panic", "")]
    // A const struct larger than GCC copies inline, assigned whole: memset and stores (sst's caps_mp3).
    [InlineData("sound/soc/intel/atom/sst", "snd-intel-sst-core", "memset", "")]
    // An element of a static array only ever read is a constant: kcalloc(primes[4], 8) is kmalloc_large (ip_vs_mh).
    [InlineData("net/netfilter/ipvs", "ip_vs_mh", "kmalloc_large", "")]
    // strpbrk(str, ":") is strchr(str, ':'); strpbrk(name, ".,") stays (aloop's timer source).
    [InlineData("sound/drivers", "snd-aloop", "strchr strpbrk", "")]
    // A pointer moved forward keeps what follows in its object: memcpy(phy->buf + 1, data, size) knows buf's size less
    // one for type 1 and not phy's object for type 0, so fortify warns of a field-spanning write (st33zp24's i2c).
    [InlineData("drivers/char/tpm/st33zp24", "tpm_st33zp24_i2c", "__warn_printk memcpy", "")]
    // What a branch teaches folds fortify's and check_copy_size's comparisons: ipmi_devintf's "if (req->addr_len >
    // sizeof(struct ipmi_addr)) return -EINVAL;" before copy_from_user(&addr, req->addr, req->addr_len) (a load, no
    // __copy_overflow); ipmi_ssif's length checked against IPMI_MAX_MSG_LENGTH before its memcpy (no field-spanning warning).
    [InlineData("drivers/char/ipmi", "ipmi_devintf ipmi_ssif", "", "__copy_overflow")]
    // A value stored to a field is what a load of it reads: btmtkuart's "bdev->data = of_device_get_match_data(…);
    // if (!bdev->data) return -ENODEV;" without CONFIG_OF leaves the rest of its probe dead (58 imports fewer).
    [InlineData("drivers/bluetooth", "btmtkuart", "", "serdev_device_open")]
    public void EachCompilerRewriteClassMatchesKbuildOnASample(string directory, string modules, string present, string absent)
    {
        var names = modules.Split(' ');
        string work = Path.Combine(Path.GetTempPath(), "linuxshim-classes-" + Guid.NewGuid().ToString("N"));
        try
        {
            var oracle = KbuildOracle.BuildEach(kernel.Importer.Tree, kernel.Build, kernel.Importer.Build.Config.Hash,
                [directory], work, cacheDir: null, out var failures, onlyModules: names);
            Assert.Empty(failures);
            Assert.Equal(names.Order(StringComparer.Ordinal), oracle.Keys.Order(StringComparer.Ordinal));
            var kbuildImports = names.SelectMany(n => oracle[n]).ToHashSet(StringComparer.Ordinal);
            // The sample has the class: Kbuild's objects show it.
            foreach (var symbol in present.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                Assert.Contains(symbol, kbuildImports);
            foreach (var symbol in absent.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                Assert.DoesNotContain(symbol, kbuildImports);
            foreach (var name in names)
            {
                var model = kernel.Importer.Scan(directory, module: name);
                var row = Assert.Single(OracleComparison.Compare(model, oracle), r => r.Module == name);
                output.WriteLine($"{name}: kbuild {row.Truth} scan {row.Predicted} missing {string.Join(' ', row.Missing)} extra {string.Join(' ', row.Extra)}");
                Assert.True(row.Truth > 0, $"{name}: Kbuild's module imports nothing");
                Assert.Empty(row.Missing);
                Assert.Empty(row.Extra);
            }
        }
        finally
        {
            if (Directory.Exists(work))
                Directory.Delete(work, recursive: true);
        }
    }

    // One symbol of a class, in a module that is not exact for other classes, as Kbuild's .ko has it (imported or not)
    // and as the scan says. Functions GCC optimizes for size (Reachability.SizeOptimized): w83627ehf's one memset is in
    // its __init probe, where GCC clears inline. What GCC learns of a static's parameters from every call
    // (Reachability.Interprocedural): huawei-wmi copies min(buflen, len) bytes in a static every call of which passes
    // buflen 0 or 0x100, inline. Code GCC predicts never runs (Reachability.Likelihood): elan_i2c's firmware signature
    // memcmp (6 bytes) follows a dev_info and is a call; sb_edac's sprintf(msg, "literal") lines are in a static called
    // only from blocks that never run, and are strcpy. Tests kept in locals and joined by && (IrBuilder): sfp's two
    // memcmp results are one test of their OR, both calls. Loops GCC distributes (Reachability.Bounds): fam15h_power
    // copies into local arrays (memcpy), w83627ehf between arrays of its data (memmove, a call in its __init probe too).
    // A trailing array of an allocation of known size: samsung-laptop's strlen(samsung->sdiag) is fortify's strnlen.
    // Where GCC inlines a static (Reachability.Interprocedural): applesmc's applesmc_create_nodes, called with 1 and
    // with a count, is compiled once (__kmalloc only); msi-laptop's small msi_work_delay(500) is inlined and folds.
    [Theory]
    [InlineData("drivers/hwmon", "w83627ehf", "memset", false)]
    [InlineData("drivers/platform/x86", "huawei-wmi", "memcpy", false)]
    [InlineData("drivers/input/mouse", "elan_i2c", "memcmp", true)]
    [InlineData("drivers/edac", "sb_edac", "strcpy", true)]
    [InlineData("drivers/net/phy", "sfp", "memcmp", true)]
    [InlineData("drivers/hwmon", "fam15h_power", "memcpy", true)]
    [InlineData("drivers/hwmon", "w83627ehf", "memmove", true)]
    [InlineData("drivers/platform/x86", "samsung-laptop", "strnlen", true)]
    [InlineData("drivers/hwmon", "applesmc", "kmalloc_trace", false)]
    [InlineData("drivers/platform/x86", "msi-laptop", "__msecs_to_jiffies", false)]
    public void ASymbolOfAClassIsImportedAsKbuildHasIt(string directory, string module, string symbol, bool imported)
    {
        string work = Path.Combine(Path.GetTempPath(), "linuxshim-symbol-" + Guid.NewGuid().ToString("N"));
        try
        {
            var oracle = KbuildOracle.BuildEach(kernel.Importer.Tree, kernel.Build, kernel.Importer.Build.Config.Hash,
                [directory], work, cacheDir: null, out var failures, onlyModules: [module]);
            Assert.Empty(failures);
            Assert.NotEmpty(oracle[module]);
            Assert.Equal(imported, oracle[module].Contains(symbol));
            var model = kernel.Importer.Scan(directory, module: module);
            var row = Assert.Single(OracleComparison.Compare(model, oracle), r => r.Module == module);
            output.WriteLine($"{module}: kbuild {row.Truth} scan {row.Predicted} missing {string.Join(' ', row.Missing)} extra {string.Join(' ', row.Extra)}");
            Assert.DoesNotContain(symbol, row.Missing);
            Assert.DoesNotContain(symbol, row.Extra);
            Assert.True(row.Recall >= 0.95, $"{module}: recall {row.Recall:P1}, missing {string.Join(' ', row.Missing)}");
        }
        finally
        {
            if (Directory.Exists(work))
                Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public void HeadersReachedThroughOtherHeadersTravelWithTheCopy()
    {
        // sound/soc/amd/acp-config.c includes "../sof/amd/acp.h", which includes "../sof-priv.h": Kbuild
        // failed on the second before the copy followed relative includes transitively.
        string work = Path.Combine(Path.GetTempPath(), "linuxshim-reach-" + Guid.NewGuid().ToString("N"));
        try
        {
            var oracle = KbuildOracle.BuildEach(kernel.Importer.Tree, kernel.Build, kernel.Importer.Build.Config.Hash,
                ["sound/soc/amd"], work, cacheDir: null, out var failures, onlyModules: ["snd-acp-config"]);
            Assert.Empty(failures);
            Assert.NotEmpty(Assert.Contains("snd-acp-config", oracle));
        }
        finally
        {
            if (Directory.Exists(work))
                Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public void Rtl8139ModelCarriesEntryPointsIdsLicenceAndExportTypes()
    {
        var model = kernel.Importer.Scan("drivers/net/ethernet/realtek");
        var m = Assert.Single(model.Modules, x => x.Name == "8139too");
        Assert.Equal("GPL", m.License);
        Assert.Equal("CONFIG_8139TOO", m.Config);
        Assert.Equal("rtl8139_init_module", m.Entry.Init);
        Assert.Equal("rtl8139_cleanup_module", m.Entry.Exit);
        var driver = Assert.Single(m.Entry.Drivers);
        Assert.Equal("struct pci_driver", driver.Type);
        Assert.Equal("rtl8139_init_one", driver.Callbacks["probe"]);
        var netdev = Assert.Single(m.Entry.Ops, o => o.Type == "struct net_device_ops");
        Assert.Equal("rtl8139_start_xmit", netdev.Callbacks["ndo_start_xmit"]);
        Assert.Contains(m.PciIds, id => id.Vendor == "10ec" && id.Device == "8139");
        Assert.Contains(m.Parameters, p => p.Name == "debug" && p.Type == "int");
        var source = Assert.Single(m.Sources, s => s.Role == "source");
        Assert.Equal(GitBlobId(File.ReadAllBytes(Path.Combine(kernel.SourceRoot, source.Path))), source.Blob);
        var pciEnable = Assert.Single(m.Requires, r => r.Symbol == "pci_enable_device");
        Assert.Equal(("EXPORT_SYMBOL", "vmlinux"), (pciEnable.Export, pciEnable.Provider));
        var mii = Assert.Single(m.Requires, r => r.Symbol == "mii_link_ok");
        Assert.Equal("drivers/net/mii", mii.Provider);
        Assert.Equal(model.Kernel.Release, Path.GetFileName(kernel.Build)["linux-headers-".Length..]);
    }

    [Fact]
    public void E1000ModelListsItsSourcesHeadersAndTheEmulatedDevice()
    {
        var model = kernel.Importer.Scan("drivers/net/ethernet/intel/e1000");
        var m = Assert.Single(model.Modules);
        Assert.Equal(["e1000_main.c", "e1000_hw.c", "e1000_ethtool.c", "e1000_param.c"],
            m.Sources.Where(s => s.Role == "source").Select(s => Path.GetFileName(s.Path)));
        Assert.Contains(m.Sources, s => s.Role == "header" && s.Path.EndsWith("/e1000_hw.h", StringComparison.Ordinal));
        Assert.All(m.Sources, s => Assert.Equal("GPL-2.0", s.Spdx));
        Assert.Contains(m.PciIds, id => id.Vendor == "8086" && id.Device == "100e"); // 82540EM
        Assert.Equal("ok", m.Status);
    }

    internal static string GitBlobId(byte[] content)
    {
        var header = System.Text.Encoding.ASCII.GetBytes($"blob {content.Length}\0");
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData([.. header, .. content]));
    }
}
