// SPDX-License-Identifier: MIT
// Tests of what GCC makes of the source beyond the calls written in it: inline-assembly call targets
// spelled with operands, library calls its builtins become, and constant-size paths of inline helpers.
namespace LinuxShim.Import.Tests.Analysis;

public class CompilerRewriteTests
{
    [Fact]
    public void AsmCallTargetsTakeTheirOperandsConstantValues()
    {
        // The shape of x86's get_user/put_user (arch/x86/include/asm/uaccess.h): the callee's name ends in
        // the access size, an "i" operand, numbered (6.1's get_user) or named (put_user, 6.12).
        var undefined = Snippet.Undefined("""
            register unsigned long current_stack_pointer asm("rsp");
            int g(int *p, int v, short *s)
            {
                int ret; unsigned long val;
                asm volatile("call __get_user_%P4" : "=a"(ret), "=r"(val), "+r"(current_stack_pointer) : "0"(p), "i"(sizeof(*p)));
                asm volatile("call __get_user_nocheck_%P4" : "=a"(ret), "=r"(val), "+r"(current_stack_pointer) : "0"(s), "i"(sizeof(*s)));
                asm volatile("call __put_user_%P[size]" : "=c"(ret), "+r"(current_stack_pointer) : "0"(p), "r"(v), [size] "i"(sizeof(*p)) : "ebx");
                asm volatile("call __put_user_nocheck_%c[size]" : "=c"(ret) : "0"(p), [size] "i"(8));
                return ret + (int)val;
            }
            """);
        Assert.Equal(["__get_user_4", "__get_user_nocheck_2", "__put_user_4", "__put_user_nocheck_8"], undefined);
    }

    [Theory]
    // What gcc-12 -O2 emits for each (checked by compiling these functions).
    [InlineData("strncmp(s, \"abcdef\", 10)", "strcmp")]
    [InlineData("strncmp(s, \"abcdef\", 6)", "strncmp")]
    [InlineData("strncmp(s, \"abcdef\", sizeof(\"abcdef\"))", "strcmp")]
    [InlineData("strncmp(s, \"abcdef\", 3)", null)]
    [InlineData("strncmp(s, \"a\", 5)", null)]
    [InlineData("strcmp(s, \"ab\")", null)]
    [InlineData("strcmp(s, \"abc\")", "strcmp")]
    [InlineData("strncmp(s, t, 3)", "strncmp")]
    [InlineData("__builtin_strncmp(s, \"abcdef\", 8)", "strcmp")]
    public void StringComparesWithALiteralAreRewrittenOrExpandedAsGccDoes(string call, string? emitted)
    {
        var undefined = Snippet.Undefined($$"""
            int strncmp(const char *, const char *, unsigned long);
            int strcmp(const char *, const char *);
            int f(const char *s, const char *t) { return {{call}}; }
            """);
        Assert.Equal(emitted is null ? [] : [emitted], undefined);
    }
}
