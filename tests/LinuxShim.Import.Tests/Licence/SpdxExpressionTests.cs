// SPDX-License-Identifier: MIT
// SPDX expressions: precedence, WITH, "+", and malformed input named by column; and the judgement
// of which licences may share an address space with GPL-2.0-only code.
using LinuxShim.Import.Licence;

namespace LinuxShim.Import.Tests.Licence;

public class SpdxExpressionTests
{
    [Fact]
    public void AndBindsTighterThanOrAndParenthesesOverrideIt()
    {
        var e = SpdxExpression.Parse("GPL-2.0 OR MIT AND BSD-3-Clause");
        var or = Assert.IsType<SpdxOr>(e);
        Assert.Equal(new SpdxLicense("GPL-2.0", false), or.Left);
        Assert.IsType<SpdxAnd>(or.Right);
        var grouped = Assert.IsType<SpdxAnd>(SpdxExpression.Parse("(GPL-2.0 OR MIT) AND BSD-3-Clause"));
        Assert.IsType<SpdxOr>(grouped.Left);
        Assert.Equal("(GPL-2.0 OR MIT) AND BSD-3-Clause", grouped.ToString());
    }

    [Fact]
    public void WithAndOrLaterAreKept()
    {
        var w = Assert.IsType<SpdxWith>(SpdxExpression.Parse("GPL-2.0+ WITH Linux-syscall-note"));
        Assert.Equal(new SpdxLicense("GPL-2.0", true), w.License);
        Assert.Equal("Linux-syscall-note", w.Exception);
        Assert.Equal(["GPL-2.0+", "MIT", "LicenseRef-Vendor"],
            SpdxExpression.Parse("(GPL-2.0+ WITH Linux-syscall-note) OR MIT AND LicenseRef-Vendor").Licenses().Select(l => l.Text));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("GPL-2.0 OR", "column 11")]
    [InlineData("(GPL-2.0 OR MIT", "missing ')'")]
    [InlineData("GPL-2.0 MIT", "unexpected 'MIT'")]
    [InlineData("GPL-2.0 or MIT", "must be written 'OR'")]
    [InlineData("GPL-2.0 WITH", "WITH must be followed")]
    [InlineData("GPL-2.0 / MIT", "character '/'")]
    [InlineData("MIT WITH GPL-2.0+", "not an exception")]
    public void MalformedExpressionsAreNamedWithTheirColumn(string text, string message)
    {
        var e = Assert.Throws<SpdxSyntaxException>(() => SpdxExpression.Parse(text));
        Assert.Contains(message, e.Message);
        Assert.True(e.Column >= 1);
    }

    [Theory]
    [InlineData("MIT")]
    [InlineData("BSD-2-Clause")]
    [InlineData("BSD-3-Clause")]
    [InlineData("LGPL-2.1-only")]
    [InlineData("LGPL-2.1+")]
    [InlineData("Apache-2.0 WITH LLVM-exception")]
    [InlineData("GPL-2.0-only WITH Classpath-exception-2.0")]
    [InlineData("GPL-2.0-or-later WITH linking-exception")]
    [InlineData("GPL-3.0-or-later WITH GCC-exception-3.1")]
    [InlineData("Apache-2.0 OR MIT")]
    [InlineData("GPL-2.0")]
    public void CompatibleWithGpl2Only(string licence)
    {
        var v = GplCompatibility.WithGpl2Only(SpdxExpression.Parse(licence));
        Assert.True(v.Compatible, v.Reason);
    }

    [Theory]
    [InlineData("Apache-2.0", "patent")]
    [InlineData("LicenseRef-Proprietary", "proprietary")]
    [InlineData("GPL-3.0-only", "GPL-3.0")]
    [InlineData("GPL-3.0+", "GPL-3.0")]
    [InlineData("MIT AND Apache-2.0", "Apache-2.0")]
    [InlineData("Apache-2.0 WITH Classpath-exception-2.0", "Apache-2.0")]
    [InlineData("Foo-1.0", "not known")]
    public void NotCompatibleWithGpl2OnlyAndSaysWhy(string licence, string reason)
    {
        var v = GplCompatibility.WithGpl2Only(SpdxExpression.Parse(licence));
        Assert.False(v.Compatible);
        Assert.Contains(reason, v.Reason);
    }

    [Theory]
    [InlineData("GPL-2.0-only", true)]
    [InlineData("GPL-2.0+", true)]
    [InlineData("GPL-2.0 OR MIT", false)]
    [InlineData("GPL-2.0 WITH Linux-syscall-note", false)]
    [InlineData("MIT AND GPL-2.0", true)]
    [InlineData("LGPL-2.1", false)]
    public void WhichCodeIsBoundByGpl2(string licence, bool binds) =>
        Assert.Equal(binds, GplCompatibility.BindsGpl2(SpdxExpression.Parse(licence)));
}
