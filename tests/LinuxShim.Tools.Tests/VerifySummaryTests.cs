// SPDX-License-Identifier: MIT
// Tests of verify's summary: totals over the modules compared, the symbols most often missed and extra,
// and the modules not compared grouped by what Kbuild's failure comes down to.
using LinuxShim.Import.Verify;
using LinuxShim.Tools;

namespace LinuxShim.Tools.Tests;

public class VerifySummaryTests
{
    [Fact]
    public void TotalsRankingsAndCausesOverTheRun()
    {
        var compared = new List<ModuleComparison>
        {
            new("a", 10, 11, [], ["memcpy"]),
            new("b", 20, 20, ["strnlen"], ["memcpy"]),
            new("c", 5, 5, [], []),
        };
        var notCompared = new List<(string, string, string)>
        {
            ("x", "drivers/x", "Kbuild failed in drivers/x: /tmp/linuxshim-verify-1/drivers_x/drivers/x/x.c:3:10: fatal error: ../x-compat.h: No such file or directory"),
            ("y", "drivers/y", "Kbuild failed in drivers/y: /tmp/linuxshim-verify-1/drivers_y/drivers/y/y.c:9:10: fatal error: ../x-compat.h: No such file or directory"),
            ("z", "drivers/y", "Kbuild built drivers/y but no z.ko"),
        };
        var summary = VerifySummary.Of(compared, notCompared);
        Assert.Equal((3, 1, 35, 36, 34), (summary.Compared, summary.Exact, summary.Truth, summary.Predicted, summary.Correct));
        Assert.Equal([("memcpy", 2)], summary.Extra);
        Assert.Equal([("strnlen", 1)], summary.Missing);
        Assert.Equal(2, summary.NotCompared.Count);
        Assert.Equal(("a header Kbuild cannot find outside the directory (../x-compat.h)", 2, 2), summary.NotCompared[0]);
        Assert.Equal(1, summary.NotCompared[1].Modules);
        var text = new StringWriter();
        summary.Write(text);
        Assert.StartsWith("total: 3 modules compared (3 not built by Kbuild), 1 exactly, kbuild 35, scan 36, recall 97.14", text.ToString().Replace('\u00a0', ' '), StringComparison.Ordinal);
    }

    [Fact]
    public void AFileTheMakefileGeneratesIsNamedAsTheCause()
    {
        // speakup's mapdata.h, made by a host program of the directory (6.1, drivers/accessibility/speakup).
        string reason = "Kbuild failed in drivers/accessibility/speakup: make[1]: *** [/tmp/linuxshim-verify-1717/drivers_accessibility_speakup/"
            + "drivers/accessibility/speakup/Makefile:46: /tmp/linuxshim-verify-1717/drivers_accessibility_speakup/drivers/accessibility/speakup/mapdata.h] Error 1";
        Assert.Equal("a file its Makefile generates could not be made (mapdata.h)", VerifySummary.Cause(reason));
        // make's line for an object is not one: the compiler's error says more, and is what the reason gives then.
        Assert.DoesNotContain("generates", VerifySummary.Cause("Kbuild failed in drivers/x: make[2]: *** [scripts/Makefile.build:250: /tmp/x/drivers/x/x.o] Error 1"));
    }
}
