// SPDX-License-Identifier: MIT
// Which line of make's output verify reports as the reason a directory's modules could not be compared.
using LinuxShim.Import.Verify;

namespace LinuxShim.Import.Tests.Kbuild;

public class KbuildErrorTests
{
    [Fact]
    public void AMissingRuleIsTheCauseNotMakesErrorTwo()
    {
        // net/ipv4/netfilter: nf_nat_snmp_basic.asn1.o needs the ASN.1 compiler the headers package lacks.
        const string output = """
            make[1]: *** No rule to make target '/tmp/m/net/ipv4/netfilter/nf_nat_snmp_basic.asn1.o', needed by '/tmp/m/net/ipv4/netfilter/nf_nat_snmp_basic.o'.
            make: *** [/usr/src/linux-headers-6.1.0-57-common/Makefile:2065: /tmp/m/net/ipv4/netfilter] Error 2
            """;
        Assert.StartsWith("make[1]: *** No rule to make target", KbuildOracle.FirstError(output));
    }

    [Fact]
    public void ACompilerErrorComesBeforeTheLinesMakeAddsAfterIt()
    {
        const string output = """
            make[2]: *** [scripts/Makefile.build:250: /tmp/m/x.o] Error 1
            /tmp/m/x.c:3:10: fatal error: ../y.h: No such file or directory
            ERROR: modpost: "f" [/tmp/m/x.ko] undefined!
            """;
        Assert.Equal("/tmp/m/x.c:3:10: fatal error: ../y.h: No such file or directory", KbuildOracle.FirstError(output));
        Assert.Equal("ERROR: modpost: \"f\" [/tmp/m/x.ko] undefined!", KbuildOracle.FirstError("ERROR: modpost: \"f\" [/tmp/m/x.ko] undefined!\nmake: *** Error 2"));
        Assert.Null(KbuildOracle.FirstError("\n  \n"));
    }
}
