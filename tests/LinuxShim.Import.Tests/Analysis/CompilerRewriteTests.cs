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

    [Fact]
    public void StaticsNeverWrittenAndConstantsFoldLikeGccsReadOnlyVariables()
    {
        // r8152's agg_buf_sz and kalmia's "static const int buflen" decide __builtin_constant_p in the slab inlines.
        var undefined = Snippet.Undefined("""
            void *__kmalloc(unsigned long size);
            void *kmalloc_large(unsigned long size);
            void *kmalloc_small(unsigned long size);
            static inline __attribute__((always_inline)) void *kmalloc(unsigned long size)
            {
                if (__builtin_constant_p(size))
                    return size > 8192 ? kmalloc_large(size) : kmalloc_small(size);
                return __kmalloc(size);
            }
            static unsigned int agg_buf_sz = 16384;
            static unsigned int written_sz = 16384;
            static int param_sz = 64;
            static const void *keep __attribute__((used)) = &param_sz;
            static int debug;
            void log_it(void);
            void set(unsigned int n) { written_sz = n; }
            void *f(void)
            {
                static const int buflen = 28;
                if (debug)
                    log_it();
                return kmalloc(agg_buf_sz) ? kmalloc(buflen) : kmalloc(written_sz) ?: kmalloc(param_sz);
            }
            """);
        Assert.Equal(["__kmalloc", "kmalloc_large", "kmalloc_small"], undefined);
    }

    [Fact]
    public void LocalsDeclaredInsideALoopKeepTheirValueForTheIteration()
    {
        // fortify's memcpy declares "const size_t __p_size = …" in the caller: in a loop body it is as known as outside.
        var undefined = Snippet.Undefined("""
            void fortify_panic(void);
            void step(void);
            void other(void);
            void copy(char *p, unsigned long n);
            void f(char *p, unsigned long n, int k)
            {
                for (int i = 0; i < k; i++) {
                    const unsigned long p_size = (unsigned long)-1;
                    if (p_size != (unsigned long)-1 && p_size < n)
                        fortify_panic();
                    copy(p, n);
                    if (i == 0)
                        step();
                    else
                        other();
                }
            }
            """);
        Assert.Equal(["copy", "other", "step"], undefined);
    }

    [Theory]
    // gcc-12 -O2 -mno-sse -mcmodel=kernel: equality of up to 32 bytes in registers, through an inline wrapper too
    // (fortify's memcmp); a memcmp whose sign is used is a call from 2 bytes on.
    [InlineData("!memcmp(a, b, 7)", null)]
    [InlineData("memcmp(a, b, 32) == 0", null)]
    [InlineData("0 != memcmp(a, b, 16)", null)]
    [InlineData("!memcmp(a, b, 33)", "memcmp")]
    [InlineData("memcmp(a, b, 8)", "memcmp")]
    [InlineData("memcmp(a, b, 1)", null)]
    [InlineData("!memcmp(a, b, n)", "memcmp")]
    [InlineData("!wrapped(a, b, 6)", null)]
    [InlineData("wrapped(a, b, 6) < 0", "memcmp")]
    [InlineData("(k && !wrapped(a, b, 6)) ? 1 : 2", null)]
    public void MemcmpTestedAgainstZeroExpandsInline(string expression, string? emitted)
    {
        var undefined = Snippet.Undefined($$"""
            int memcmp(const void *, const void *, unsigned long);
            static inline __attribute__((always_inline)) int wrapped(const void *p, const void *q, unsigned long size)
            {
                return __builtin_memcmp(p, q, size);
            }
            int f(const void *a, const void *b, unsigned long n, int k) { return {{expression}}; }
            """);
        Assert.Equal(emitted is null ? [] : [emitted], undefined);
    }
}
