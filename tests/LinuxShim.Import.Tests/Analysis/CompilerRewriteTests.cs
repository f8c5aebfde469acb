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

    [Fact]
    public void GenericSelectionCompilesOnlyTheSelectedAssociation()
    {
        // 6.12's dev_fwnode(): _Generic on the argument's constness picks one of two functions; the controlling
        // expression is not evaluated (gcc-12 -O2 calls only __dev_fwnode for a non-const argument).
        var undefined = Snippet.Undefined("""
            struct device;
            struct fwnode_handle;
            const struct fwnode_handle *__dev_fwnode_const(const struct device *dev);
            struct fwnode_handle *__dev_fwnode(struct device *dev);
            int side_effect(void);
            #define dev_fwnode(dev) _Generic((dev), const struct device *: __dev_fwnode_const, struct device *: __dev_fwnode)(dev)
            void *f(struct device *d) { return (void *)dev_fwnode(d); }
            int g(void) { return _Generic(side_effect(), int: 1, default: 2); }
            """);
        Assert.Equal(["__dev_fwnode"], undefined);
    }

    [Theory]
    // What gcc-12 -O2 emits for each (checked by compiling these functions), except that comparisons of up to
    // 3 bytes, which GCC expands inline in plain C, are kept as calls: in the kernel it kept sunhme's.
    [InlineData("strncmp(s, \"abcdef\", 10)", "strcmp")]
    [InlineData("strncmp(s, \"abcdef\", 6)", "strncmp")]
    [InlineData("strncmp(s, \"abcdef\", sizeof(\"abcdef\"))", "strcmp")]
    [InlineData("strncmp(s, \"abcdef\", 3)", "strncmp")]
    [InlineData("strncmp(s, \"a\", 5)", "strcmp")]
    [InlineData("strcmp(s, \"ab\")", "strcmp")]
    [InlineData("strcmp(s, \"abc\")", "strcmp")]
    [InlineData("strncmp(s, t, 3)", "strncmp")]
    [InlineData("__builtin_strncmp(s, \"abcdef\", 8)", "strcmp")]
    public void StrncmpPastALiteralIsStrcmp(string call, string? emitted)
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
    // gcc-12 -O2 -mno-sse -mcmodel=kernel: equality in registers when it takes at most four loads of each side (8, 4,
    // 2 and 1 bytes, not overlapping), through an inline wrapper too (fortify's memcmp); a memcmp whose sign is used is
    // a call from 2 bytes on.
    [InlineData("!memcmp(a, b, 7)", null)]
    [InlineData("memcmp(a, b, 32) == 0", null)]
    [InlineData("0 != memcmp(a, b, 16)", null)]
    [InlineData("!memcmp(a, b, 22)", null)]
    [InlineData("!memcmp(a, b, 28)", null)]
    [InlineData("!memcmp(a, b, 23)", "memcmp")]
    [InlineData("!memcmp(a, b, 29)", "memcmp")]
    [InlineData("memcmp(a, b, 31) == 0", "memcmp")]
    [InlineData("!memcmp(a, b, 33)", "memcmp")]
    [InlineData("memcmp(a, b, 8)", "memcmp")]
    [InlineData("memcmp(a, b, 1)", null)]
    [InlineData("!memcmp(a, b, n)", "memcmp")]
    [InlineData("!wrapped(a, b, 6)", null)]
    [InlineData("wrapped(a, b, 6) < 0", "memcmp")]
    [InlineData("(k && !wrapped(a, b, 6)) ? 1 : 2", null)]
    // Tests joined bitwise are folded into one test of the values' OR, so neither call is compared with zero
    // (enic's pp comparison); != 0 joined by &, or == 0 by |, cannot be folded so.
    [InlineData("!!memcmp(a, b, 16) | !!memcmp(a, b, 8)", "memcmp")]
    [InlineData("!memcmp(a, b, 16) & !memcmp(a, b, 8)", "memcmp")]
    [InlineData("k | !!memcmp(a, b, 16) | (n != 3) | (memcmp(b, a, 8) != 0)", "memcmp")]
    [InlineData("(memcmp(a, b, 16) != 0) | k", null)]
    [InlineData("!memcmp(a, b, 16) | !memcmp(a, b, 8)", null)]
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

    [Theory]
    // gcc-12 -O2 with the kernel's flags: tests stored in locals and joined by && (== 0) or || (!= 0) are one test of
    // the values' OR, both calls kept (sfp's cotsworks check), whatever the locals' types or other writes; a call in
    // the condition itself, != 0 tests joined by &&, or tests used apart stay inline.
    [InlineData("int c = !memcmp(a, b, 16); int s = !memcmp(b, a, 4); if (c && s) h();", true)]
    [InlineData("_Bool c = !memcmp(a, b, 16); _Bool s = memcmp(b, a, 4) == 0; return c && s;", true)]
    [InlineData("int c = !memcmp(a, b, 16); _Bool s = !memcmp(b, a, 4); int t = k == 5; if (c && s && t) h();", true)]
    [InlineData("int c = 0, s; if (k) c = !memcmp(a, b, 16); s = !memcmp(b, a, 4); if (c && s) h();", true)]
    [InlineData("int c = memcmp(a, b, 16) != 0; int s = memcmp(b, a, 4) != 0; if (c || s) h();", true)]
    [InlineData("_Bool c = !memcmp(a, b, 16); if (c && !memcmp(b, a, 4)) h();", false)]
    [InlineData("int c = memcmp(a, b, 16) != 0; int s = memcmp(b, a, 4) != 0; if (c && s) h();", false)]
    [InlineData("_Bool c = !memcmp(a, b, 16); _Bool s = !memcmp(b, a, 4); if (c) h(); if (s) g(2);", false)]
    [InlineData("if (!memcmp(a, b, 16) && !memcmp(b, a, 4)) h();", false)]
    public void TestsHeldInLocalsAndJoinedAreOneTestOfTheirOr(string body, bool called)
    {
        var undefined = Snippet.Undefined($$"""
            int memcmp(const void *, const void *, unsigned long);
            void g(int);
            void h(void);
            int f(const char *a, const char *b, int k) { {{body}} return 0; }
            """);
        Assert.Equal(called, undefined.Contains("memcmp"));
    }

    [Theory]
    // gcc-12 -O2 with the kernel's flags: a size GCC's value ranges bound to 8192 or less is copied inline;
    // a bound learnt only from a branch (if (n > 64) return) is not one GCC uses for the expansion.
    [InlineData("unsigned long t = min(n, 64UL); memcpy(a, b, t);", null)]
    [InlineData("int t = min(k, 32); memcpy(a, b, t);", null)]
    [InlineData("memcpy(a, b, min(n, 16384UL));", "memcpy")]
    [InlineData("unsigned r = (unsigned)n % 4; if (r) { unsigned pad; pad = 4 - r; zero(a, pad); }", null)]
    [InlineData("if (n > 64) return; memcpy(a, b, n);", "memcpy")]
    [InlineData("unsigned long t = n & 0xff; memset(a, 0, t);", null)]
    [InlineData("unsigned long t = k > 3 ? n : 8; memset(a, 0, t);", "memset")]
    [InlineData("unsigned long t = k > 3 ? 16 : 8; if (k) t = n; memset(a, 0, t);", "memset")]
    [InlineData("size_t t = n; if (t > 64) t = 64; memcpy(a, b, t);", null)]
    [InlineData("size_t t; for (int i = 0; i < k; i++) { t = n; if (t > 64) t = 64; memcpy(a, b, t); }", null)]
    [InlineData("size_t t = n; for (int i = 0; i < k; i++) { memcpy(a, b, t); t = n; if (t > 64) t = 64; }", "memcpy")]
    [InlineData("size_t t = n; if (t > 64) t = 65536; memcpy(a, b, t);", "memcpy")]
    [InlineData("size_t t = n; if (t > 64) t = 64; t = n; memcpy(a, b, t);", "memcpy")]
    public void SizesGccBoundsAreCopiedInline(string body, string? emitted)
    {
        var undefined = Snippet.Undefined($$"""
            typedef unsigned long size_t;
            void *memcpy(void *, const void *, size_t);
            void *memset(void *, int, size_t);
            #define min(x, y) ({ typeof(x) _x = (x); typeof(y) _y = (y); _x < _y ? _x : _y; })
            static inline __attribute__((always_inline)) void zero(void *p, unsigned int len) { memset(p, 0, len); }
            void f(char *a, const char *b, size_t n, int k) { {{body}} }
            """);
        Assert.Equal(emitted is null ? [] : [emitted], undefined);
    }

    /// <summary>fortify's memcpy in small: the runtime check, then the copy.</summary>
    private const string FortifiedCopy = """
        typedef unsigned long size_t;
        void fortify_panic(const char *);
        void *memcpy(void *, const void *, size_t);
        void use(char *);
        void g(void);
        static inline __attribute__((always_inline)) void copy(void *p, const void *q, size_t size)
        {
            size_t p_size = __builtin_object_size(p, 0);
            if (p_size != (size_t)-1 && p_size < size) fortify_panic("memcpy");
            memcpy(p, q, size);
        }

        """;

    [Theory]
    // gcc-12 -O2 with the kernel's flags, fortify's memcpy check after a branch: what "if (n > 64) return;" teaches
    // folds "p_size < size" (no fortify_panic) while memcpy(a, b, n) stays a call (n's own range is unchanged); a value
    // computed after the branch (n + 4, an int converted to size_t) has a range of its own and is copied inline.
    // A signed k may still be negative (a huge size): the check stays.
    [InlineData("copy(a, b, n);", "fortify_panic memcpy")]
    [InlineData("if (n > 64) return; copy(a, b, n);", "memcpy")]
    [InlineData("if (n > 65) return; copy(a, b, n);", "fortify_panic memcpy")]
    [InlineData("if (k > 64) return; copy(a, b, k);", "fortify_panic")]
    [InlineData("if (k > 64 || k < 0) return; copy(a, b, k);", "")]
    [InlineData("if (n > 64) goto out; copy(a, b, n); out:;", "memcpy")]
    [InlineData("if (n <= 64) copy(a, b, n);", "memcpy")]
    [InlineData("if (n > 60) return; copy(a, b, n + 4);", "")]
    [InlineData("if (n > 60) return; size_t t = n + 4; copy(a, b, t);", "")]
    [InlineData("if (n > 64) return; size_t t = n; copy(a, b, t);", "memcpy")]
    [InlineData("if (n >= 64) return; copy(a, b, n + 1);", "")]
    [InlineData("if (n > 64) { use(a); return; } copy(a, b, n);", "memcpy")]
    [InlineData("if (u > 64) return; copy(a, b, u);", "")]
    [InlineData("if (n > 64 && k) return; copy(a, b, n);", "fortify_panic memcpy")]
    [InlineData("if (k) { if (n > 64) return; } else { if (n > 32) return; } copy(a, b, n);", "memcpy")]
    [InlineData("if (k) { if (n > 64) return; } copy(a, b, n);", "fortify_panic memcpy")]
    // Compared as signed, the bound decides too, whether or not the value may be negative.
    [InlineData("if (k > 64) return; if (k >= 65) g(); copy(a, b, k);", "fortify_panic")]
    [InlineData("if (k > 64 || k < 0) return; if (64 < k) g(); copy(a, b, k);", "")]
    [InlineData("int m = k; if (m > 64) m = 64; if (m > 64) g(); copy(a, b, m);", "fortify_panic")]
    // Written on a path, the local is a new value where the paths join, with the range each knew: copied inline.
    [InlineData("size_t t = n; if (t < 3 || t > 64) t = 3; copy(a, b, t);", "")]
    [InlineData("int m = k; if (m < 3 || m > 64) m = 3; copy(a, b, m);", "")]
    [InlineData("if (n > 64) k = 5; copy(a, b, n);", "fortify_panic memcpy")]
    [InlineData("size_t t = n; if (t > 64) { t = 3; g(); } copy(a, b, t);", "g")]
    [InlineData("size_t t = n; if (k) t = 8; else if (t > 64) return; copy(a, b, t);", "")]
    public void WhatABranchTeachesFoldsFortifysCheckButNotTheCopy(string body, string emitted)
    {
        var undefined = Snippet.Undefined(FortifiedCopy + $$"""
            void f(const char *b, size_t n, int k, unsigned char u) { char a[64]; {{body}} use(a); }
            """);
        Assert.Equal(emitted.Split(' ', StringSplitOptions.RemoveEmptyEntries), undefined.Where(s => s != "use").Order());
    }

    [Theory]
    // The same with a size loaded from memory: GCC loads r->len once for the test and the copy while nothing may
    // have written memory (a call, here g(), may; a store to another field of *r may not); r->h, an unsigned int, and r->x, an int, are converted to
    // size_t after the branch, a new value copied inline.
    [InlineData("copy(a, b, r->len);", "fortify_panic memcpy")]
    [InlineData("if (r->len > 64) return; copy(a, b, r->len);", "memcpy")]
    [InlineData("if (r->len > 64) return; g(); copy(a, b, r->len);", "fortify_panic g memcpy")]
    [InlineData("if (r->len > 64) return; r->x = 1; copy(a, b, r->len);", "memcpy")]
    [InlineData("if (r->len > 63) return; copy(a, b, r->len + 1);", "")]
    [InlineData("if (r->h > 64) return; copy(a, b, r->h);", "")]
    [InlineData("if (r->len > 64) goto out; copy(a, b, r->len); out:;", "memcpy")]
    [InlineData("for (int i = 0; i < k; i++) { if (r->len > 64) return; copy(a, b, r->len); }", "memcpy")]
    [InlineData("if (r->len > 64) return; for (int i = 0; i < k; i++) copy(a, b, r->len);", "fortify_panic memcpy")]
    [InlineData("if (r->len > 64) return; for (int i = 0; i < k; i++) g(); copy(a, b, r->len);", "fortify_panic g memcpy")]
    [InlineData("if (r->len > 64 || r->x) return; copy(a, b, r->len);", "memcpy")]
    [InlineData("if (r->x > 64) return; copy(a, b, r->x);", "fortify_panic")]
    // A break or a continue leaves as a return does; a do { } while (0) or a loop a break leaves goes on after it.
    [InlineData("switch (k) { case 1: if (r->len > 64) break; copy(a, b, r->len); break; }", "memcpy")]
    [InlineData("for (int i = 0; i < k; i++) { if (r->len > 64) continue; copy(a, b, r->len); }", "memcpy")]
    [InlineData("do { if (r->len > 64) break; copy(a, b, r->len); } while (0);", "memcpy")]
    [InlineData("do { if (r->len > 64) break; } while (0); copy(a, b, r->len);", "fortify_panic memcpy")]
    [InlineData("for (int i = 0; i < k; i++) { if (r->len > 64) break; } copy(a, b, r->len);", "fortify_panic memcpy")]
    public void WhatABranchTeachesOfALoadHoldsUntilMemoryMayChange(string body, string emitted)
    {
        var undefined = Snippet.Undefined(FortifiedCopy + $$"""
            struct r { unsigned long len; unsigned int h; int x; };
            void f(const char *b, struct r *r, int k) { char a[64]; {{body}} use(a); }
            """);
        Assert.Equal(emitted.Split(' ', StringSplitOptions.RemoveEmptyEntries), undefined.Where(s => s != "use").Order());
    }

    [Theory]
    // gcc-12 -O2 with the kernel's flags: likely(c) and unlikely(c) (__builtin_expect(!!(c), v)) only order GCC's blocks;
    // what c says holds in the branch as it does without them ("if (unlikely(len > 64)) return;", the kernel's usual
    // way of writing a bounds check).
    [InlineData("if (unlikely(n > 64)) return; copy(a, b, n);", "memcpy")]
    [InlineData("if (likely(n <= 64)) copy(a, b, n);", "memcpy")]
    [InlineData("if (unlikely(r->len > 64)) return; copy(a, b, r->len);", "memcpy")]
    [InlineData("if (unlikely(n > 64 || k)) return; copy(a, b, n);", "memcpy")]
    [InlineData("if (!likely(n <= 64)) return; copy(a, b, n);", "memcpy")]
    [InlineData("if (unlikely(n > 64)) return; copy(a, b, n + 1);", "fortify_panic")]
    [InlineData("if (unlikely(n > 65)) return; copy(a, b, n);", "fortify_panic memcpy")]
    public void LikelyAndUnlikelyTeachWhatTheirConditionDoes(string body, string emitted)
    {
        var undefined = Snippet.Undefined(FortifiedCopy + $$"""
            #define likely(x) __builtin_expect(!!(x), 1)
            #define unlikely(x) __builtin_expect(!!(x), 0)
            struct r { unsigned long len; unsigned int h; int x; };
            void f(const char *b, size_t n, int k, struct r *r) { char a[64]; {{body}} use(a); }
            """);
        Assert.Equal(emitted.Split(' ', StringSplitOptions.RemoveEmptyEntries), undefined.Where(s => s != "use").Order());
    }

    [Theory]
    // gcc-12 -O2 with the kernel's flags: a value stored to a field is what a load of it reads until memory may change
    // (a call; a store through another pointer, which may be the same; not one to another field through the same one),
    // as it fits the field's type (70000 does not fit an unsigned short). btmtkuart's probe without CONFIG_OF. Bit-fields
    // are not followed.
    [InlineData("p->data = match(); if (!p->data) return -19; h(1);", "")]
    [InlineData("p->data = match(); g(); if (!p->data) return -19; h(1);", "g h")]
    [InlineData("p->data = match(); q->x = 1; if (!p->data) return -19; h(1);", "h")]
    [InlineData("p->data = match(); p->x = 1; if (!p->data) return -19; h(1);", "")]
    [InlineData("p->size = 0x200; if (p->size == 0x200) return 0; h(1);", "")]
    [InlineData("p->size = 70000; if (p->size == 70000) return 0; h(1);", "h")]
    [InlineData("p->x = 0; for (int i = 0; i < k; i++) g(); if (p->x) h(1);", "g h")]
    [InlineData("p->x = 0; if (k) p->x = 0; if (p->x) h(1);", "")]
    [InlineData("p->x = 0; if (k) p->x = 1; if (p->x) h(1);", "h")]
    public void AValueStoredToAFieldIsWhatALoadOfItReads(string body, string emitted)
    {
        var undefined = Snippet.Undefined($$"""
            struct d { const void *data; unsigned short size; unsigned char flag:1; int x; };
            void g(void);
            void h(int);
            static inline const void *match(void) { return 0; }
            int f(struct d *p, struct d *q, int k) { {{body}} return 0; }
            """);
        Assert.Equal(emitted.Split(' ', StringSplitOptions.RemoveEmptyEntries), undefined.Order());
    }

    [Theory]
    // gcc-12 -O2 with the kernel's flags, check_copy_size()'s shape: "sz < bytes" compares as unsigned, so a
    // signed count clamped by min_t(long, count, 8) may still be negative (a huge size) and the check stays
    // (the firewire drivers' hwdep_read: __copy_overflow); a count a condition says is positive, an unsigned
    // min, or a masked one has no such case. memcpy's expansion takes either bound (sizes ≤ PTRDIFF_MAX).
    [InlineData("count = min_t(long, count, 8);", true)]
    [InlineData("count = min_t(unsigned long, count, 8);", false)]
    [InlineData("if (count <= 0) return 0; count = min_t(long, count, 8);", false)]
    [InlineData("if (!(count > 0)) return 0; count = min_t(long, count, 8);", false)]
    [InlineData("if (count > 0) { count = min_t(long, count, 8); if (check(&e, count)) copy(to, &e, count); } return 0;", false)]
    [InlineData("count = min_t(long, count, 8) & 15;", false)]
    [InlineData("for (k = 0; count > 0 && k < 3; k++) { long t = count; if (t > 8) t = 8; if (check(&e, t)) copy(to, &e, t); count -= t; } return 0;", false)]
    [InlineData("for (k = 0; k < 3; k++) { long t = count; if (t > 8) t = 8; if (check(&e, t)) copy(to, &e, t); count -= t; } return 0;", true)]
    public void ASignedSizeClampedFromAboveKeepsTheCopyCheck(string body, bool checks)
    {
        var undefined = Snippet.Undefined($$"""
            void __copy_overflow(int, unsigned long);
            void copy(void *, const void *, unsigned long);
            static inline __attribute__((always_inline)) int check(const void *addr, unsigned long bytes)
            {
                int sz = __builtin_object_size(addr, 0);
                if (__builtin_expect(sz >= 0 && sz < bytes, 0)) { __copy_overflow(sz, bytes); return 0; }
                return 1;
            }
            struct ev { char a[16]; };
            #define min_t(type, x, y) ({ type __x = (x); type __y = (y); __x < __y ? __x : __y; })
            long f(void *to, long count, unsigned long n, int k)
            {
                struct ev e = {0};
                {{body}}
                if (check(&e, count)) copy(to, &e, count);
                return count;
            }
            """);
        Assert.Equal(checks ? ["__copy_overflow", "copy"] : ["copy"], undefined);
    }

    [Theory]
    // gcc-12 -O2, the kernel's x86-64 flags: what each call of a string function with a literal becomes.
    [InlineData("strpbrk(s, \":\")", "strchr")]
    [InlineData("strpbrk(s, \".,\")", "strpbrk")]
    [InlineData("strpbrk(s, \"\")", null)]
    [InlineData("strpbrk(\"ab\", t)", "strpbrk")]
    [InlineData("strstr(s, \":\")", "strchr")]
    [InlineData("strstr(s, \"ab\")", "strstr")]
    [InlineData("strstr(s, \"\")", null)]
    [InlineData("strcspn(s, \"\")", "strlen")]
    [InlineData("strcspn(s, \":\")", "strcspn")]
    [InlineData("strspn(s, \"\")", null)]
    [InlineData("strspn(s, \":\")", "strspn")]
    [InlineData("strchr(s, 0)", "strlen")]
    [InlineData("strrchr(s, 0)", "strlen")]
    [InlineData("strrchr(s, 58)", "strrchr")]
    [InlineData("strcat(s, \" Switch\")", "strlen")]
    [InlineData("strcat(s, \"\")", null)]
    [InlineData("strcat(s, t)", "strcat")]
    public void StringFunctionsOfALiteralAreRewritten(string call, string? emitted)
    {
        var undefined = Snippet.Undefined($$"""
            char *strpbrk(const char *, const char *);
            char *strstr(const char *, const char *);
            unsigned long strcspn(const char *, const char *);
            unsigned long strspn(const char *, const char *);
            char *strchr(const char *, int);
            char *strrchr(const char *, int);
            char *strcat(char *, const char *);
            unsigned long f(char *s, const char *t) { return (unsigned long){{call}}; }
            """);
        Assert.Equal(emitted is null ? [] : [emitted], undefined);
    }

    [Theory]
    // gcc-12 -O2 with the kernel's flags: loop distribution makes a loop that only zeroes elements a memset
    // when it can count the iterations (fireface's write_pcm_silence).
    [InlineData("unsigned c; for (c = 0; c < n; ++c) a[c] = 0;", "memset")]
    [InlineData("unsigned c; for (c = 0; c < n; ++c) a[c] = -1;", "memset")]
    [InlineData("unsigned c; for (c = 0; c != n; c++) a[c] = 0;", "memset")]
    [InlineData("unsigned c; for (c = 0; c < n; c++) d->x[c] = 0;", "memset")]
    [InlineData("int c; for (c = 2; c < k; c += 1) { a[c] = 0; }", "memset")]
    [InlineData("for (unsigned c = 0; c < n; c++) a[c] = 0;", "memset")]
    [InlineData("unsigned i, c; for (i = 0; i < m; ++i) { for (c = 0; c < n; ++c) a[c] = 0; a += k; }", "memset")]
    // Not counted: an int counter against an unsigned bound (it may wrap: below, when it cannot), <= (it may never end), a u8
    // counter, a bound read from memory the stores may change; a constant bound is an inline memset; a
    // value whose bytes differ, or a copy, stays a loop.
    [InlineData("int c; for (c = 0; c < n; ++c) a[c] = 0;", "")]
    [InlineData("unsigned c; for (c = 0; c <= n; c++) a[c] = 0;", "")]
    [InlineData("unsigned char c; for (c = 0; c < m; c++) a[c] = 0;", "")]
    [InlineData("int c; for (c = 0; c < d->x[0]; c++) a[c] = 0;", "")]
    [InlineData("unsigned c; for (c = 0; c < 600; ++c) a[c] = 0;", "")]
    [InlineData("unsigned c; for (c = 0; c < n; ++c) a[c] = 1;", "")]
    [InlineData("unsigned c; for (c = 0; c < n; ++c) a[c] = b[c];", "")]
    public void ALoopThatOnlyZeroesIsAMemset(string body, string emitted)
    {
        var undefined = Snippet.Undefined($$"""
            struct d { int x[100]; };
            void f(int *a, int *b, unsigned n, unsigned m, int k, struct d *d) { {{body}} }
            """);
        Assert.Equal(emitted.Split(' ', StringSplitOptions.RemoveEmptyEntries), undefined);
    }

    [Theory]
    // gcc-12 -O2 with the kernel's flags: an int counter compared with an unsigned bound (as unsigned) is counted when
    // it starts at a known value, not negative, and the bound's own range fits an int; one pointer read ahead of its
    // store is a memmove when the index read cannot wrap (tpm_infineon's tpm_inf_recv: size = (buf[2] << 8) | buf[3],
    // then "for (i = 0; i < size; i++) buf[i] = buf[i + 6];").
    [InlineData("u32 size = (buf[2] << 8) | buf[3]; int i; for (i = 0; i < size; i++) buf[i] = buf[i + 6];", "memmove")]
    [InlineData("u32 size = (buf[2] << 8) | buf[3]; int i; for (i = 0; i < size; i++) buf[i] = 0;", "memset")]
    [InlineData("u32 size = n & 0xffff; for (int i = 0; i < size; i++) s[i] = 0;", "memset")]
    [InlineData("u32 size = n & 0xffff; for (int i = 1; i < size; i++) s[i] = s[i + 2];", "memmove")]
    [InlineData("for (int i = 0; i < k; i++) s[i] = s[i + 1];", "memmove")]
    // Not counted or not moved: a start not known, a bound only a branch taught, a bound that may pass an int's top;
    // a read far ahead of an int bound (it may wrap), a read behind the store, a bound read from memory.
    [InlineData("u32 size = n & 0xffff; for (int i = k; i < size; i++) s[i] = 0;", "")]
    [InlineData("if (n > 100) return; for (int i = 0; i < n; i++) s[i] = 0;", "")]
    [InlineData("u32 size = n & 0x80000000; for (int i = 0; i < size; i++) s[i] = 0;", "")]
    [InlineData("for (int i = 0; i < k; i++) s[i] = s[i + 6];", "")]
    [InlineData("for (int i = 0; i < k; i++) buf[i] = buf[i + 6];", "")]
    [InlineData("for (int i = 0; i < k; i++) s[i + 1] = s[i];", "")]
    [InlineData("for (int i = 0; i < p->cnt; i++) s[i] = s[i + 1];", "")]
    public void AnIntCounterAgainstAnUnsignedBoundIsCountedWhenItCannotWrap(string body, string emitted)
    {
        var undefined = Snippet.Undefined($$"""
            typedef unsigned long long u64;
            typedef unsigned char u8; typedef unsigned int u32;
            struct d { u64 a[8]; u64 b[8]; u8 e[4]; u8 o[4]; u8 n; int cnt; };
            void f(struct d *p, u64 *s, int k, u8 *buf, u32 n) { {{body}} }
            """);
        Assert.Equal(emitted.Split(' ', StringSplitOptions.RemoveEmptyEntries), undefined);
    }

    [Theory]
    // gcc-12 -O2 with the kernel's flags: any constant stored into bytes is a memset too, from a start the
    // loop is entered with (clip's "while (off < 16) buf[off++] = ' ';").
    [InlineData("while (off < 16) p[off++] = ' ';", "memset")]
    [InlineData("int i = 0; while (i < k) { p[i] = 'x'; i++; }", "memset")]
    [InlineData("for (int i = k; i < 16; i++) p[i] = ' ';", "memset")]
    [InlineData("while (off < 16) a[off++] = 0;", "memset")]
    [InlineData("while (off <= 16) p[off++] = ' ';", "memset")]
    // A known start and bound are a memset of known size, inline; a wider element's bytes differ; != from an
    // unknown start is not counted.
    [InlineData("int o = 3; while (o < 16) p[o++] = ' ';", "")]
    [InlineData("int i; for (i = 0; i < k; i++) a[i] = ' ';", "")]
    [InlineData("while (off != k) p[off++] = 'a';", "")]
    // A zero aggregate (fq_resize's "array[idx] = RB_ROOT" up to "1U << log"); several stores of constants;
    // a zero store beside a copy into a local object (nr_call_to_digi), not through pointers the loads may alias.
    [InlineData("unsigned i; for (i = 0; i < (1U << k); i++) r[i] = (struct rb){ 0, };", "memset")]
    [InlineData("int i; for (i = 0; i < k; i++) { a[i] = 0; p[i] = 0; }", "memset")]
    [InlineData("struct digi d; int i; for (i = 0; i < k; i++) { d.c[i].c[0] = p[i]; d.rep[i] = 0; } use(&d);", "memset use")]
    [InlineData("int i; for (i = 0; i < k; i++) { q->c[i] = x[i]; q->rep[i] = 0; }", "")]
    [InlineData("int i; for (i = 0; i < k; i++) { q->rep[i] = 0; use(q); }", "use")]
    public void ALoopThatStoresOneByteIsAMemset(string body, string emitted)
    {
        var undefined = Snippet.Undefined($$"""
            struct rb { void *n; };
            typedef struct { char c[7]; } addr;
            struct digi { addr c[8]; unsigned char rep[8]; };
            void use(void *);
            void f(char *p, int *a, int off, int k, struct rb *r, struct digi *q, addr *x) { {{body}} }
            """);
        Assert.Equal(emitted.Split(' ', StringSplitOptions.RemoveEmptyEntries), undefined);
    }

    [Theory]
    // gcc-12 -O2 with the kernel's flags: loop distribution makes a loop that copies elements a memcpy when one side
    // is a local array (fam15h_power's power1_average_show: two, one per array), the bound then read from memory
    // too; a memmove between arrays of the struct one pointer points to (w83627ehf's probe, its bound a member of
    // that struct). In a function optimized for size the memcpy is inline (rep movs), the memmove stays a call.
    [InlineData("u64 l[8]; for (int i = 0; i < k; i++) l[i] = p->a[i]; use(l);", "", "memcpy use")]
    [InlineData("u64 l[8], m[8]; for (int i = 0; i < k; i++) { l[i] = p->a[i]; m[i] = p->b[i]; } use(l); use(m);", "", "memcpy use")]
    [InlineData("u64 l[8]; for (int i = 0; i < q->cnt; i++) l[i] = p->b[i]; use(l);", "", "memcpy use")]
    [InlineData("u64 l[8]; for (int i = 0; i < k; i++) p->a[i] = l[i]; use(l);", "", "memcpy use")]
    [InlineData("u64 l[8]; for (int i = 0; i < k; i++) l[i] = s[i]; use(l);", "", "memcpy use")]
    [InlineData("for (int i = 0; i < p->n; i++) p->o[i] = p->e[i];", "memmove", "memmove")]
    [InlineData("for (int i = 0; i < k; i++) p->a[i] = p->b[i + 1];", "memmove", "memmove")]
    [InlineData("int i = 2; while (i < k) { p->a[i] = p->b[i]; i++; }", "memmove", "memmove")]
    // Kept as loops: pointers GCC cannot tell apart, a bound through another pointer, a conversion, a call in the
    // body; a known count is copied inline.
    [InlineData("for (int i = 0; i < k; i++) p->a[i] = q->b[i];", "", "")]
    [InlineData("for (int i = 0; i < k; i++) p->a[i] = s[i];", "", "")]
    [InlineData("for (int i = 0; i < q->cnt; i++) p->a[i] = p->b[i];", "", "")]
    [InlineData("for (int i = 0; i < k; i++) p->e[i] = p->a[i];", "", "")]
    [InlineData("for (int i = 0; i < k; i++) { p->a[i] = p->b[i]; use(p); }", "", "use")]
    [InlineData("u64 l[8]; for (int i = 0; i < 8; i++) l[i] = p->a[i]; use(l);", "", "use")]
    public void ALoopThatCopiesElementsIsAMemcpyOrAMemmove(string body, string cold, string hot)
    {
        foreach (var (attribute, emitted) in new[] { ("__attribute__((cold))", cold), ("", hot) })
        {
            var undefined = Snippet.Undefined($$"""
                typedef unsigned long long u64;
                typedef unsigned char u8;
                struct d { u64 a[8]; u64 b[8]; u8 e[4]; u8 o[4]; u8 n; int cnt; };
                void use(void *);
                {{attribute}} void f(struct d *p, struct d *q, u64 *s, int k) { {{body}} }
                """);
            var expected = emitted.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
            if (attribute.Length > 0 && body.Contains("use("))
                expected.Add("use");
            Assert.Equal(expected.Distinct().Order(), undefined.Order());
        }
    }

    [Theory]
    // gcc-12 -O2, the kernel's flags: a struct assigned whole is copied inline up to 8192 bytes; beyond, from
    // a const initialized variable it is a memset and stores of the constant (sst's *codec = caps_mp3,
    // 11144 bytes), from anything else (a static never written too) a memcpy.
    [InlineData(2784, "*p = cb;", "memset")]
    [InlineData(2784, "*p = *q;", "memcpy")]
    [InlineData(2784, "*p = sb;", "memcpy")]
    [InlineData(2046, "*p = cb;", "")]
    [InlineData(2046, "*p = *q;", "")]
    public void ALargeStructAssignmentIsABlockCall(int elements, string body, string emitted)
    {
        var undefined = Snippet.Undefined($$"""
            struct big { int n; int k; int x[{{elements}}]; };
            static const struct big cb = { .n = 1, .x[3] = 5 };
            static struct big sb = { .n = 2 };
            void f(struct big *p, const struct big *q) { {{body}} }
            """);
        Assert.Equal(emitted.Split(' ', StringSplitOptions.RemoveEmptyEntries), undefined);
    }

    private const string CheckedCopy = """
        typedef unsigned long size_t;
        void fortify_panic(const char *);
        void copy(void *, const void *, size_t);
        static inline __attribute__((always_inline)) void checked_copy(void *p, const void *q, size_t size, size_t p_size)
        {
            if (p_size != (size_t)-1 && p_size < size)
                fortify_panic(__func__);
            copy(p, q, size);
        }
        struct s { char buf[64]; };
        struct t { char buf[64]; int tail; };

        """;

    [Theory]
    [InlineData("size_t len = n < 64 ? n : 64; checked_copy(d->buf, q, len, sizeof(d->buf));", false)]
    [InlineData("size_t len = n < 65 ? n : 65; checked_copy(d->buf, q, len, sizeof(d->buf));", true)]
    [InlineData("checked_copy(d->buf, q, n, sizeof(d->buf));", true)]
    // Nothing is above SIZE_MAX: without the p_size != -1 test, an unknown object's check still folds (kmemdup).
    [InlineData("size_t p_size = __builtin_object_size(q, 0); if (p_size < n) fortify_panic(\"f\"); copy(d->buf, q, n);", false)]
    // GCC 12 takes an array that ends its struct, reached through a pointer, as one that may run past its size
    // (unknown object size); one with a field after it has its size.
    [InlineData("size_t p_size = __builtin_object_size(d->buf, 1); if (p_size < n) fortify_panic(\"f\"); copy(d->buf, q, n);", false)]
    [InlineData("struct t *e = (struct t *)d; size_t p_size = __builtin_object_size(e->buf, 1); if (p_size < n) fortify_panic(\"f\"); copy(e->buf, q, n);", true)]
    [InlineData("struct s local; size_t p_size = __builtin_object_size(local.buf, 1); if (p_size < n) fortify_panic(\"f\"); copy(local.buf, q, n); copy(d, &local, 1);", true)]
    // So too through a subscripted pointer or a dereference (nfnetlink_cthelper's helper->expect_policy[i].name);
    // an element of a declared array has its size.
    [InlineData("size_t p_size = __builtin_object_size(d[1].buf, 1); if (p_size < n) fortify_panic(\"f\"); copy(d[1].buf, q, n);", false)]
    [InlineData("size_t p_size = __builtin_object_size((*d).buf, 1); if (p_size < n) fortify_panic(\"f\"); copy((*d).buf, q, n);", false)]
    [InlineData("struct s arr[2]; size_t p_size = __builtin_object_size(arr[1].buf, 1); if (p_size < n) fortify_panic(\"f\"); copy(arr[1].buf, q, n); copy(d, arr, 1);", true)]
    public void FortifysSizeCheckFallsAwayForASizeNoLargerThanTheBuffer(string body, bool panics)
    {
        var undefined = Snippet.Undefined(CheckedCopy + "void f(struct s *d, const char *q, size_t n) { " + body + " }\n");
        Assert.Equal(panics ? ["copy", "fortify_panic"] : ["copy"], undefined);
    }

    // __builtin_object_size of a pointer moved forward by a constant: what its object has from there on (gcc-12 -O2
    // gives each of these values; st33zp24's memcpy(phy->buf + 1, data, size) warns of a field-spanning write
    // because type 1 knows buf's size less one and type 0 does not know phy's object).
    [Theory]
    [InlineData("e->buf + 3", 1, 61)]
    [InlineData("e->buf + 3", 3, 61)]
    [InlineData("e->buf + 3", 0, -1)]
    [InlineData("e->buf + 70", 1, 0)]
    [InlineData("l.buf + 3", 0, 65)]
    [InlineData("l.buf + 3", 1, 61)]
    [InlineData("arr + 2", 0, 24)]
    [InlineData("p + 1", 0, 20)]
    // &a[k] is a + k: af9035's memcpy(&state->buf[REQ_HDR_LEN], …) keeps fortify's field-spanning WARN_ONCE (type 1
    // knows buf's size less four, type 0 nothing). An index not known leaves both unknown.
    [InlineData("&e->buf[3]", 1, 61)]
    [InlineData("&e->buf[3]", 3, 61)]
    [InlineData("&e->buf[3]", 0, -1)]
    [InlineData("&e->buf[0]", 1, 64)]
    [InlineData("&e->buf[70]", 1, 0)]
    [InlineData("&l.buf[3]", 0, 65)]
    [InlineData("&l.buf[3]", 1, 61)]
    [InlineData("&arr[2]", 0, 24)]
    [InlineData("&arr[2]", 1, 24)]
    [InlineData("&p[1]", 0, 20)]
    [InlineData("&e->buf[n]", 1, -1)]
    [InlineData("&e->buf[n]", 0, -1)]
    public void APointerMovedForwardHasWhatFollowsInItsObject(string expression, int type, long size)
    {
        var undefined = Snippet.Undefined(CheckedCopy + $$"""
            void f(struct s *d, const char *q, size_t n)
            {
                struct t *e = (struct t *)d;
                struct t l;
                unsigned int arr[8];
                unsigned int *p = arr + 2;
                copy(&l, arr, 0);
                copy(p, &l, 0);
                if (__builtin_object_size({{expression}}, {{type}}) != (size_t){{size}})
                    fortify_panic("f");
            }
            """);
        Assert.Equal(["copy"], undefined);
    }

    [Fact]
    public void EachStructAnswersTheTrailingArrayQuestionForItself()
    {
        // gcc-12 -O2: nm -u gives copy alone. The importer remembers each struct's last field once per source:
        // struct s (buf last: size unknown, the check folds away) and struct t (a field after buf: 64, the call
        // stays) are asked in turn, s twice, in one source.
        var undefined = Snippet.Undefined(CheckedCopy + """
            void f(struct s *d, struct t *e, const char *q, size_t n)
            {
                size_t a = __builtin_object_size(d->buf, 1);
                if (a < n) fortify_panic("f");
                size_t b = __builtin_object_size(e->buf, 1);
                if (b < n) copy(e->buf, q, n);
                size_t c = __builtin_object_size(d->buf, 1);
                if (c < n) fortify_panic("g");
            }
            """);
        Assert.Equal(["copy"], undefined);
    }

    [Theory]
    // gcc-12 -O2, the kernel's flags: what an allocator declared alloc_size returns has the size it was asked for
    // when that is known (sof-client-probes' buf = kzalloc(PAGE_SIZE, …); strlen(buf)): fortify's strlen is
    // strnlen and its check stays; of a size not known, strlen.
    [InlineData("char *buf = kzalloc(4096, 0); unsigned long r = fs(buf); use(buf); return r;", "kmalloc_trace strnlen use fortify_panic")]
    [InlineData("char *buf; buf = kmalloc(64, 0); if (!buf) return 0; unsigned long r = fs(buf); use(buf); return r;", "kmalloc_trace strnlen use fortify_panic")]
    [InlineData("char *buf = kcalloc(4, 16); unsigned long r = fs(buf); use(buf); return r;", "kmalloc_array strnlen use fortify_panic")]
    [InlineData("char *buf = kzalloc(n, 0); unsigned long r = fs(buf); use(buf); return r;", "__kmalloc strlen use")]
    // A struct's trailing array has no size of its own, but one of an allocation sees to its end, for
    // __builtin_object_size type 1 too (samsung-laptop's strlen(samsung->sdiag)); a flexible array as well.
    [InlineData("struct tail *p = kzalloc(sizeof *p, 0); unsigned long r = fs(p->name); use(p); return r;", "kmalloc_trace strnlen use fortify_panic")]
    [InlineData("struct flex *p = kzalloc(sizeof *p + 10, 0); unsigned long r = fs(p->name); use(p); return r;", "kmalloc_trace strnlen use fortify_panic")]
    [InlineData("struct flex *p = kzalloc(sizeof *p + n, 0); unsigned long r = fs(p->name); use(p); return r;", "__kmalloc strlen use")]
    [InlineData("return fs(some->name);", "some strlen")]
    public void WhatAnAllocatorReturnsHasTheSizeAskedFor(string body, string emitted)
    {
        var undefined = Snippet.Undefined($$"""
            unsigned long strnlen(const char *, unsigned long);
            unsigned long strlen(const char *);
            void fortify_panic(const char *) __attribute__((noreturn));
            static inline __attribute__((always_inline)) unsigned long fs(const char *const p)
            {
                unsigned long s = __builtin_object_size(p, 1);
                if (s == (unsigned long)-1)
                    return __builtin_strlen(p);
                unsigned long r = strnlen(p, s);
                if (s <= r)
                    fortify_panic("x");
                return r;
            }
            void *kmalloc_trace(void *c, unsigned flags, unsigned long size) __attribute__((alloc_size(3), malloc));
            void *__kmalloc(unsigned long size, unsigned flags) __attribute__((alloc_size(1), malloc));
            void *kmalloc_array(unsigned long n, unsigned long size) __attribute__((alloc_size(1, 2), malloc));
            static inline __attribute__((always_inline, alloc_size(1))) void *kmalloc(unsigned long s, unsigned f)
            {
                if (__builtin_constant_p(s))
                    return kmalloc_trace(0, f, s);
                return __kmalloc(s, f);
            }
            // As the kernel spells it (__alloc_size(1) is __attribute__((__alloc_size__(1)))).
            static inline __attribute__((always_inline)) __attribute__((__alloc_size__(1))) void *kzalloc(unsigned long s, unsigned f) { return kmalloc(s, f | 1); }
            static inline __attribute__((alloc_size(1, 2))) void *kcalloc(unsigned long n, unsigned long s) { return kmalloc_array(n, s); }
            void use(void *);
            struct tail { int a; char name[64]; };
            struct flex { int a; char name[]; };
            extern struct tail *some;
            unsigned long f(unsigned long n) { {{body}} }
            """);
        Assert.Equal(emitted.Split(' ').Order(StringComparer.Ordinal), undefined.Order(StringComparer.Ordinal));
    }

    [Theory]
    // gcc-12 -O2, the kernel's flags: a member array of what kmalloc(sizeof(*b), …) returned has, for
    // __builtin_object_size type 0, the rest of the allocation (hv_sock's send_buf->data: 68 bytes here); through
    // a parameter, nothing is known.
    [InlineData("struct buf *b = kmalloc_trace(0, 0, sizeof *b); size_t p_size = __builtin_object_size(b->data, 0); if (p_size < n) fortify_panic(\"f\"); copy(b->data, q, n); use(b);", true)]
    [InlineData("struct buf *b = kmalloc_trace(0, 0, sizeof *b); size_t p_size = __builtin_object_size(b->data, 0); if (p_size < 68) fortify_panic(\"f\"); copy(b->data, q, 68); use(b);", false)]
    [InlineData("struct buf *b = kmalloc_trace(0, 0, sizeof *b); size_t p_size = __builtin_object_size(b->data, 0); if (p_size < 69) fortify_panic(\"f\"); copy(b->data, q, 69); use(b);", true)]
    [InlineData("struct buf *b = d; size_t p_size = __builtin_object_size(b->data, 0); if (p_size < n) fortify_panic(\"f\"); copy(b->data, q, n); use(b);", false)]
    public void AMemberOfAnAllocationSeesToItsEnd(string body, bool panics)
    {
        var undefined = Snippet.Undefined($$"""
            typedef unsigned long size_t;
            void fortify_panic(const char *);
            void copy(void *, const void *, size_t);
            void *kmalloc_trace(void *c, unsigned flags, unsigned long size) __attribute__((alloc_size(3), malloc));
            struct buf { int hdr[4]; char data[64]; int tail; };
            void use(void *);
            void f(struct buf *d, const char *q, size_t n) { {{body}} }
            """);
        Assert.Equal(panics, undefined.Contains("fortify_panic"));
    }

    [Fact]
    public void ALiteralIsSeenThroughALocalPointer()
    {
        // fortify's __compiletime_strlen(p): "unsigned char *__p = (unsigned char *)(p)", then __p[i] and
        // __builtin_strlen(__p); with a literal the length is a constant and strnlen() is never called.
        var undefined = Snippet.Undefined("""
            typedef unsigned long size_t;
            size_t strnlen(const char *, size_t);
            static inline __attribute__((always_inline)) size_t length(const char *p, size_t max)
            {
                const unsigned char *q = (const unsigned char *)p;
                size_t ret = (size_t)-1;
                if (__builtin_constant_p(*q) && __builtin_constant_p(q[3]) && q[3] == '\0')
                    ret = __builtin_strlen((const char *)q);
                if (ret != (size_t)-1)
                    return ret;
                return strnlen(p, max);
            }
            size_t f(void) { return length("abc", 20); }
            size_t g(const char *s) { return length(s, 20); }
            size_t h(void) { const char *q = "abc"; q = 0; return length(q, 20); }
            """);
        Assert.Equal(["strnlen"], undefined);
        Assert.Empty(Snippet.Undefined("""
            typedef unsigned long size_t;
            size_t strnlen(const char *, size_t);
            static inline __attribute__((always_inline)) size_t length(const char *p, size_t max)
            {
                const unsigned char *q = (const unsigned char *)p;
                if (__builtin_constant_p(*q) && __builtin_constant_p(q[3]) && q[3] == '\0')
                    return __builtin_strlen((const char *)q);
                return strnlen(p, max);
            }
            size_t f(void) { return length("abc", 20); }
            """));
    }

    [Fact]
    public void AByteSizedLengthIsBoundedAndALocalStructsMemberHasItsRemainingSize()
    {
        // mcba_usb.c: memcpy(usb_msg.data, cf->data, usb_msg.dlc) with a u8 dlc: GCC copies inline (at most 255
        // bytes) and keeps fortify's check, since the 8-byte member may be overrun.
        var undefined = Snippet.Undefined("""
            typedef unsigned long size_t;
            void *memcpy(void *, const void *, size_t);
            void fortify_panic(const char *);
            static inline __attribute__((always_inline)) void *checked(void *p, const void *q, size_t size)
            {
                size_t p_size = __builtin_object_size(p, 0);
                if (p_size != (size_t)-1 && p_size < size)
                    fortify_panic(__func__);
                return memcpy(p, q, size);
            }
            struct msg { unsigned char dlc; unsigned char data[8]; unsigned short crc; };
            void send(struct msg *);
            void f(const unsigned char *src, unsigned char len)
            {
                struct msg m;
                m.dlc = len;
                checked(m.data, src, m.dlc);
                send(&m);
            }
            """);
        Assert.Equal(["fortify_panic", "send"], undefined);
    }

    [Theory]
    // gcc-12 -O2, the kernel's x86-64 flags: GCC's object-size pass follows a local pointer to what it was
    // given, joined over branches and a switch's cases (the larger object); a path that gives it an unknown
    // string makes it unknown (strlen, memcpy). A local array has its own size. ua101, trident, mixart.
    [InlineData("const char *name; name = c ? \"UA-1000\" : \"UA-101\"; copy(card->driver, name);", "strnlen")]
    [InlineData("const char *name = \"UA-1000\"; if (c) name = s; copy(card->driver, name);", "memcpy strlen")]
    [InlineData("const char *str; switch (c) { case 1: str = \"TRID4DWAVEDX\"; break; case 2: str = \"SI7018\"; break; default: str = \"Unknown\"; } copy(card->driver, str);", "strnlen")]
    [InlineData("const char *str = s; switch (c) { case 1: str = \"TRID4DWAVEDX\"; break; case 2: str = \"SI7018\"; break; } copy(card->driver, str);", "memcpy strlen")]
    [InlineData("char name[32]; sprintf(name, \"x %d\", c); copy(card->driver, name);", "sprintf strnlen")]
    [InlineData("const char *name = \"ab\"; if (c) name = \"abcdef\"; copy(card->driver, name);", "strnlen")]
    [InlineData("const char *name; if (c) name = \"ab\"; else name = \"abcdef\"; copy(card->driver, name);", "strnlen")]
    public void ALocalPointerHasTheSizeOfWhatItWasGiven(string body, string emitted)
    {
        var undefined = Snippet.Undefined($$"""
            typedef unsigned long size_t;
            size_t strnlen(const char *, size_t);
            size_t strlen(const char *);
            void *memcpy(void *, const void *, size_t);
            int sprintf(char *, const char *, ...);
            static inline __attribute__((always_inline)) size_t length(const char *p)
            {
                size_t p_size = __builtin_object_size(p, 1);
                if (p_size == (size_t)-1)
                    return strlen(p);
                return strnlen(p, p_size);
            }
            static inline __attribute__((always_inline)) void copy(char *p, const char *q)
            {
                size_t size = length(q) + 1;
                memcpy(p, q, size);
            }
            struct card { char driver[16]; };
            void f(struct card *card, int c, const char *s) { {{body}} }
            """);
        Assert.Equal(emitted.Split(' '), undefined);
    }

    [Fact]
    public void ALiteralChosenByACondition()
    {
        // atiixp.c: strcpy(card->driver, c ? "ATIIXP" : "ATIIXP-SPDMA") through fortify: the source's object is
        // the larger literal (13 bytes), so fortify's strlen is strnlen(q, 13), whose result bounds the memcpy.
        var undefined = Snippet.Undefined("""
            typedef unsigned long size_t;
            size_t strnlen(const char *, size_t);
            size_t strlen(const char *);
            void *memcpy(void *, const void *, size_t);
            static inline __attribute__((always_inline)) size_t length(const char *p)
            {
                size_t p_size = __builtin_object_size(p, 1);
                if (p_size == (size_t)-1)
                    return strlen(p);
                return strnlen(p, p_size);
            }
            static inline __attribute__((always_inline)) void copy(char *p, const char *q)
            {
                size_t size = length(q) + 1;
                memcpy(p, q, size);
            }
            struct card { char driver[16]; };
            void f(struct card *card, int c) { copy(card->driver, c ? "ATIIXP" : "ATIIXP-SPDMA"); }
            """);
        Assert.Equal(["strnlen"], undefined);
    }

    [Theory]
    // gcc-12 -O2: only a sprintf whose value is thrown away becomes strcpy (usblp.c returns it).
    [InlineData("sprintf(d, \"%s\", s); return 0;", "strcpy")]
    [InlineData("return sprintf(d, \"%s\", s);", "sprintf")]
    public void SprintfOfAStringIsStrcpyOnlyWhenItsLengthIsUnused(string body, string emitted)
    {
        var undefined = Snippet.Undefined($$"""
            int sprintf(char *, const char *, ...);
            int f(char *d, const char *s) { {{body}} }
            """);
        Assert.Equal([emitted], undefined);
    }

    [Theory]
    // for_each_child_of_node() without CONFIG_OF: of_get_next_child() is an inline returning NULL, the body is dead.
    [InlineData("for (c = next(n, 0); c != 0; c = next(n, c)) use(c);", false)]
    [InlineData("for (struct node *d = next(n, 0); d; d = next(n, d)) use(d);", false)]
    [InlineData("for (c = first(n); c != 0; c = next(n, c)) use(c);", true)]
    [InlineData("for (int i = 0; i < k; i++) use(n);", true)]
    public void AForLoopWhoseConditionFailsOnEntryHasADeadBody(string loop, bool used)
    {
        var undefined = Snippet.Undefined($$"""
            struct node;
            static inline struct node *next(struct node *n, struct node *prev) { return 0; }
            struct node *first(struct node *);
            void use(struct node *);
            void f(struct node *n, int k) { struct node *c; {{loop}} }
            """);
        Assert.Equal(used, undefined.Contains("use"));
    }

    [Fact]
    public void AConstCharArrayReadsAsItsLiteral()
    {
        // pegasus.c: strscpy(info->driver, driver_name, …) with "static const char driver_name[] = "pegasus"".
        const string Length = """
            typedef unsigned long size_t;
            size_t strnlen(const char *, size_t);
            static inline __attribute__((always_inline)) size_t length(const char *p)
            {
                const unsigned char *q = (const unsigned char *)p;
                if (__builtin_constant_p(*q))
                    return __builtin_strlen(p);
                return strnlen(p, 32);
            }

            """;
        Assert.Empty(Snippet.Undefined(Length + "static const char name[] = \"pegasus\";\nsize_t f(void) { return length(name); }\n"));
        Assert.Equal(["strnlen"], Snippet.Undefined(Length + "static char name[] = \"pegasus\";\nvoid g(void) { name[0] = 0; }\nsize_t f(void) { return length(name); }\n"));
    }

    [Theory]
    // gcc-12 -O2 with the kernel's x86-64 flags (each line compiled): printing a literal is strcpy of it, inline in an
    // ordinary function, a call in a cold one (__init, __exit, __cold); what is not a literal, or does not fit, stays.
    [InlineData("", "sprintf(p->name, \"fixed-mdio\");", null)]
    [InlineData("", "n = sprintf(p->name, \"fixed-mdio\");", null)]
    [InlineData("", "snprintf(p->name, sizeof p->name, \"fixed-mdio\");", null)]
    [InlineData("", "snprintf(p->name, 6, \"fixed\");", null)]
    [InlineData("", "snprintf(p->name, 5, \"fixed\");", "snprintf")]
    [InlineData("", "snprintf(p->name, k, \"fixed\");", "snprintf")]
    [InlineData("", "sprintf(p->name, \"%s\", \"fixed\");", null)]
    [InlineData("", "snprintf(p->name, sizeof p->name, \"%s\", \"fixed\");", null)]
    [InlineData("", "snprintf(p->name, sizeof p->name, \"%s\", t);", "snprintf")]
    [InlineData("", "sprintf(p->name, \"100%%\");", "sprintf")]
    [InlineData("", "sprintf(p->name, \"%s\", t);", "strcpy")]
    [InlineData("", "n = sprintf(p->name, \"%s\", t);", "sprintf")]
    [InlineData("__attribute__((cold))", "sprintf(p->name, \"fixed-mdio\");", "strcpy")]
    [InlineData("__attribute__((cold))", "n = sprintf(p->name, \"fixed-mdio\");", "strcpy")]
    [InlineData("__attribute__((__cold__, __section__(\".init.text\")))", "snprintf(p->name, sizeof p->name, \"fixed-mdio\");", "strcpy")]
    [InlineData("__attribute__((cold))", "snprintf(p->name, sizeof p->name, \"%s\", \"fixed\");", "strcpy")]
    [InlineData("__attribute__((cold))", "snprintf(p->name, 5, \"fixed\");", "snprintf")]
    [InlineData("__attribute__((cold))", "n = sprintf(p->name, \"%s\", t);", "sprintf")]
    public void PrintingALiteralIsStrcpyInlineExceptInAColdFunction(string attributes, string body, string? emitted)
    {
        var undefined = Snippet.Undefined($$"""
            typedef unsigned long size_t;
            int sprintf(char *, const char *, ...);
            int snprintf(char *, size_t, const char *, ...);
            struct s { char name[32]; };
            {{attributes}} int f(struct s *p, const char *t, size_t k) { int n = 0; {{body}} return n; }
            """);
        Assert.Equal(emitted is null ? [] : [emitted], undefined);
    }

    // In a function GCC optimizes for size (declared cold: __cold, __init, __exit) memcpy and memset expand inline
    // whatever their size, loops are not distributed into memset, and whole-struct copies beyond 8192 bytes are
    // rep movs; memmove and memcmp stay calls, but for an equality compare of one load a side (1, 2, 4, 8 bytes),
    // where elsewhere one of up to 32 bytes is inline. Expectations from gcc-12 -O2 with the kernel's flags (nm -u).
    [Theory]
    [InlineData("", "memcpy(p, t, k);", "memcpy")]
    [InlineData("__attribute__((cold))", "memcpy(p, t, k);", null)]
    [InlineData("__attribute__((__cold__, __section__(\".init.text\")))", "memcpy(p, t, 20000);", null)]
    [InlineData("", "__builtin_memset(p, 0, 20000);", "memset")]
    [InlineData("__attribute__((cold))", "__builtin_memset(p, 0, 20000);", null)]
    [InlineData("__attribute__((cold))", "__builtin_memset(p, 0, k);", null)]
    [InlineData("", "*h = *g;", "memcpy")]
    [InlineData("__attribute__((cold))", "*h = *g;", null)]
    [InlineData("", "for (int i = 0; i < n; i++) q[i] = 0;", "memset")]
    [InlineData("__attribute__((cold))", "for (int i = 0; i < n; i++) q[i] = 0;", null)]
    [InlineData("__attribute__((cold))", "memmove(p, t, k);", "memmove")]
    [InlineData("__attribute__((cold))", "n = memcmp(p, t, k); use(&n);", "memcmp")]
    [InlineData("", "n = !memcmp(p, t, 16); use(&n);", null)]
    [InlineData("", "n = !memcmp(p, t, 3); use(&n);", null)]
    [InlineData("__attribute__((cold))", "n = !memcmp(p, t, 16); use(&n);", "memcmp")]
    [InlineData("__attribute__((cold))", "n = !memcmp(p, t, 8); use(&n);", null)]
    [InlineData("__attribute__((cold))", "n = !memcmp(p, t, 3); use(&n);", "memcmp")]
    [InlineData("__attribute__((cold))", "n = !memcmp(p, \"UBNT            \", 16); use(&n);", "memcmp")]
    public void MemcpyAndMemsetAreInlineInAColdFunction(string attributes, string body, string? emitted)
    {
        var undefined = Snippet.Undefined($$"""
            typedef unsigned long size_t;
            void *memcpy(void *, const void *, size_t);
            void *memset(void *, int, size_t);
            void *memmove(void *, const void *, size_t);
            int memcmp(const void *, const void *, size_t);
            void use(void *);
            struct huge { char a[10000]; };
            {{attributes}} void f(char *p, const char *t, size_t k, struct huge *h, struct huge *g, int *q, int n) { {{body}} use(p); }
            """);
        Assert.Equal(emitted is null ? ["use"] : [emitted, "use"], undefined.Order(StringComparer.Ordinal));
    }

    // A static function GCC optimizes for size because every call of it is from a cold one (ipa-profile's
    // propagation): through other such statics too, not when a function optimized for speed calls it, its address
    // is taken or it calls itself. An inline function walked in a hot caller first still decides again in a cold
    // one. Expectations from gcc-12 -O2 with the kernel's flags (nm -u, use and reg left out).
    [Theory]
    [InlineData("only cold callers", null)]
    [InlineData("a hot caller too", "memcpy")]
    [InlineData("address taken", "memcpy")]
    [InlineData("through a static", "strcpy")]
    [InlineData("recursive", "memcpy")]
    [InlineData("inline, hot first", "strcpy")]
    [InlineData("a static reached from a hot one", "memcpy")]
    [InlineData("an inline wrapper, cold caller first", "memcpy")]
    public void AStaticFunctionCalledOnlyFromColdOnesIsCold(string program, string? emitted)
    {
        var undefined = Snippet.Undefined($$"""
            typedef unsigned long size_t;
            void *memcpy(void *, const void *, size_t);
            int sprintf(char *, const char *, ...);
            void use(void *);
            void reg(void (*)(char *, const char *, size_t));
            {{ColdCallers[program]}}
            """);
        Assert.Equal(emitted is null ? [] : [emitted], undefined.Where(u => u is not ("use" or "reg")));
    }

    private static readonly Dictionary<string, string> ColdCallers = new()
    {
        ["only cold callers"] = """
            static __attribute__((noinline)) void copy(char *p, const char *t, size_t k) { memcpy(p, t, k); use(p); }
            __attribute__((cold)) int probe(char *p, const char *t) { copy(p, t, 3); use(p); copy(p + 8, t, 5); return 0; }
            """,
        ["a hot caller too"] = """
            static __attribute__((noinline)) void copy(char *p, const char *t, size_t k) { memcpy(p, t, k); use(p); }
            __attribute__((cold)) int probe(char *p, const char *t) { copy(p, t, 3); use(p); copy(p + 8, t, 5); return 0; }
            int xmit(char *p, const char *t, size_t k) { copy(p, t, k); return 0; }
            """,
        ["address taken"] = """
            static __attribute__((noinline)) void copy(char *p, const char *t, size_t k) { memcpy(p, t, k); use(p); }
            __attribute__((cold)) int probe(char *p, const char *t) { copy(p, t, 3); use(p); copy(p + 8, t, 5); reg(copy); return 0; }
            """,
        ["through a static"] = """
            static __attribute__((noinline)) void name(char *p) { sprintf(p, "fixed-mdio"); use(p); }
            static __attribute__((noinline)) void setup(char *p) { name(p); use(p); name(p + 16); }
            __attribute__((cold)) int probe(char *p) { setup(p); use(p); setup(p + 64); return 0; }
            """,
        ["recursive"] = """
            static __attribute__((noinline)) void copy(char *p, const char *t, size_t k) { memcpy(p, t, k); if (k) copy(p, t, k - 1); use(p); }
            __attribute__((cold)) int probe(char *p, const char *t, size_t k) { copy(p, t, k); use(p); copy(p, t, 1); return 0; }
            """,
        ["inline, hot first"] = """
            static inline void name(char *p) { sprintf(p, "fixed-mdio"); }
            int xmit(char *p) { name(p); use(p); return 0; }
            __attribute__((cold)) int probe(char *p) { name(p); use(p); return 0; }
            """,
        ["a static reached from a hot one"] = """
            static __attribute__((noinline)) void copy(char *p, const char *t, size_t k) { memcpy(p, t, k); use(p); }
            static __attribute__((noinline)) void helper(char *p, const char *t, size_t k) { copy(p, t, k); use(p); copy(p + 1, t, k); }
            __attribute__((cold)) int probe(char *p, const char *t, size_t k) { copy(p, t, k); use(p); return 0; }
            int xmit(char *p, const char *t, size_t k) { helper(p, t, k); use(p); helper(p + 2, t, k); return 0; }
            """,
        ["an inline wrapper, cold caller first"] = """
            static __attribute__((noinline)) void copy(char *p, const char *t, size_t k) { memcpy(p, t, k); use(p); }
            static inline void wrap(char *p, const char *t, size_t k) { copy(p, t, k); }
            __attribute__((cold)) int probe(char *p, const char *t, size_t k) { wrap(p, t, k); use(p); return 0; }
            int xmit(char *p, const char *t, size_t k) { wrap(p, t, k); use(p); return 0; }
            """,
    };

    // A static function whose address is never taken is compiled with what every call of it passes (ipa-cp, ipa-vrp):
    // huawei-wmi's copy of min(buflen, len) bytes is inline when every call passes a constant buflen, or passes on a
    // parameter that such calls bound, and a call not when one call passes anything else (a value its caller bounds
    // itself, n & 0xff, included). Expectations from gcc-12 -O2 with the kernel's flags (nm -u, use and reg left out).
    [Theory]
    [InlineData("constants", null)]
    [InlineData("one call passes an unknown", "memcpy")]
    [InlineData("address taken", "memcpy")]
    [InlineData("a masked argument", "memcpy")]
    [InlineData("passed on by a static", null)]
    [InlineData("passed on by an exported", "memcpy")]
    [InlineData("passed on converted from an int", "memcpy")]
    [InlineData("passed on converted from an unsigned int", "memcpy")]
    [InlineData("passed on converted from an unsigned char", null)]
    [InlineData("passed on converted, the same constant from every call", "memcpy")]
    [InlineData("passed on converted to an int", "memcpy")]
    [InlineData("too large to inline", "memcpy")]
    [InlineData("under the inline limit", null)]
    public void AStaticFunctionKnowsWhatEveryCallPassesIt(string program, string? emitted)
    {
        var undefined = Snippet.Undefined($$"""
            typedef unsigned long size_t;
            void *memcpy(void *, const void *, size_t);
            void use(void *);
            void reg(int (*)(long, unsigned char *, size_t));
            extern unsigned char *src;
            extern size_t srclen;
            #define min(a, b) ((a) < (b) ? (a) : (b))
            static __attribute__((noinline)) int cmd(long arg, unsigned char *buf, size_t buflen) { size_t len = srclen + arg; if (buf) { len = min(buflen, len); memcpy(buf, src, len); } return 0; }
            {{EveryCall[program]}}
            """);
        Assert.Equal(emitted is null ? [] : [emitted], undefined.Where(u => u is not ("use" or "reg" or "src" or "srclen")));
    }

    // Where GCC inlines a static function (gcc-12 -O2, the kernel's flags; nm -u): one called once, and a small one, into
    // every caller, each inlined copy knowing what its call passes (no copy of its own is left); a larger one called with
    // a constant and with a variable is compiled once, knowing only what every call passes (__kmalloc, not
    // kmalloc_trace). Called with constants only, gcc-12 inlines even the larger one (the constants fold its
    // __builtin_constant_p away): the importer walks both ways there, so it finds kmalloc_trace and keeps __kmalloc.
    [Theory]
    [InlineData("called with a constant and a variable", "__kmalloc", true)]
    [InlineData("called once", "kmalloc_trace", true)]
    [InlineData("called with two constants", "kmalloc_trace", false)]
    [InlineData("a small one, with constants", "", true)]
    [InlineData("a small one, with a variable", "__msecs_to_jiffies", true)]
    public void WhereGccInlinesAStaticFunction(string program, string emitted, bool exactly)
    {
        var undefined = Snippet.Undefined($$"""
            typedef unsigned long size_t;
            void *kmalloc_trace(void *c, unsigned flags, size_t size) __attribute__((alloc_size(3), malloc));
            void *__kmalloc(size_t size, unsigned flags) __attribute__((alloc_size(1), malloc));
            static inline __attribute__((always_inline)) void *kmalloc(size_t s, unsigned f)
            {
                if (__builtin_constant_p(s))
                    return kmalloc_trace(0, f, s);
                return __kmalloc(s, f);
            }
            unsigned long __msecs_to_jiffies(unsigned int m);
            static inline __attribute__((always_inline)) unsigned long msecs_to_jiffies(unsigned int m)
            {
                if (__builtin_constant_p(m))
                    return m / 4;
                return __msecs_to_jiffies(m);
            }
            void a(int); void b(int); void c(int); void d(int); void e(int); void queue(unsigned long);
            struct g { void *nodes; int n; };
            static int create(struct g *grp, int num)
            {
                grp->nodes = kmalloc((num + 1) * 16, 0);
                if (!grp->nodes)
                    return -12;
                a(num); b(grp->n); c(num + 2); d(grp->n * 3); e(num);
                return 0;
            }
            static unsigned long delay(int ms) { return msecs_to_jiffies(ms); }
            {{Inlined[program]}}
            """).Where(u => u is not ("a" or "b" or "c" or "d" or "e" or "queue")).ToList();
        var expected = emitted.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (exactly)
            Assert.Equal(expected, undefined);
        else
            Assert.All(expected, symbol => Assert.Contains(symbol, undefined));
    }

    private static readonly Dictionary<string, string> Inlined = new()
    {
        ["called with a constant and a variable"] = """
            int one(struct g *grp) { return create(grp, 1); }
            int two(struct g *grp, int k) { return create(grp, k); }
            """,
        ["called once"] = """
            int one(struct g *grp) { return create(grp, 1); }
            """,
        ["called with two constants"] = """
            int one(struct g *grp) { return create(grp, 1); }
            int two(struct g *grp) { return create(grp, 2); }
            """,
        ["a small one, with constants"] = """
            void one(void) { queue(delay(500)); }
            void two(void) { queue(delay(1000)); }
            """,
        ["a small one, with a variable"] = """
            void one(void) { queue(delay(500)); }
            void two(int k) { queue(delay(k)); }
            """,
    };

    private static readonly Dictionary<string, string> EveryCall = new()
    {
        ["constants"] = """
            int a(long x) { return cmd(x, 0, 0); }
            int b(long x) { unsigned char r[256]; cmd(x, r, 0x100); use(r); return 0; }
            """,
        ["one call passes an unknown"] = """
            int a(long x) { return cmd(x, 0, 0); }
            int b(long x, size_t n) { unsigned char r[256]; cmd(x, r, n); use(r); return 0; }
            """,
        ["address taken"] = """
            int a(long x) { reg(cmd); return cmd(x, 0, 0); }
            int b(long x) { unsigned char r[256]; cmd(x, r, 0x100); use(r); return 0; }
            """,
        ["a masked argument"] = """
            int a(long x) { return cmd(x, 0, 0); }
            int b(long x, size_t n) { unsigned char r[256]; cmd(x, r, n & 0xff); use(r); return 0; }
            """,
        ["passed on by a static"] = """
            static __attribute__((noinline)) int mid(long x, size_t n) { unsigned char r[256]; cmd(x, r, n); use(r); return 0; }
            int a(long x) { return mid(x, 16) + mid(x + 3, 32); }
            """,
        // A parameter converted on the way is no pass-through to ipa-prop: cmd learns only its type's range, converted
        // (an int's, as a size_t, is none; an unsigned char's is 0..255), whatever mid's calls pass, the same constant
        // included (hid-ft260's ft260_byte_show passing its int len, always 25, on as a size_t).
        ["passed on converted from an int"] = """
            static __attribute__((noinline)) int mid(long x, int n) { unsigned char r[256]; cmd(x, r, n); use(r); return 0; }
            int a(long x) { return mid(x, 16) + mid(x + 3, 32); }
            """,
        ["passed on converted from an unsigned int"] = """
            static __attribute__((noinline)) int mid(long x, unsigned int n) { unsigned char r[256]; cmd(x, r, n); use(r); return 0; }
            int a(long x) { return mid(x, 16) + mid(x + 3, 32); }
            """,
        ["passed on converted from an unsigned char"] = """
            static __attribute__((noinline)) int mid(long x, unsigned char n) { unsigned char r[256]; cmd(x, r, n); use(r); return 0; }
            int a(long x) { return mid(x, 16) + mid(x + 3, 32); }
            """,
        ["passed on converted, the same constant from every call"] = """
            static __attribute__((noinline)) int mid(long x, int n) { unsigned char r[256]; cmd(x, r, n); use(r); return 0; }
            int a(long x) { return mid(x, 16) + mid(x + 3, 16); }
            """,
        ["passed on converted to an int"] = """
            static __attribute__((noinline)) int mid(long x, size_t n) { unsigned char r[256]; cmd(x, r, (int)n); use(r); return 0; }
            int a(long x) { return mid(x, 16) + mid(x + 3, 32); }
            """,
        ["passed on by an exported"] = """
            int mid(long x, size_t n) { unsigned char r[256]; cmd(x, r, n); use(r); return 0; }
            int a(long x) { return mid(x, 16) + mid(x + 3, 32); }
            """,
        ["too large to inline"] = """
            int a(long x) { return cmd(x, 0, 0); }
            int b(long x) { unsigned char r[65536]; cmd(x, r, 65536); use(r); return 0; }
            """,
        ["under the inline limit"] = """
            int a(long x) { return cmd(x, 0, 0); }
            int b(long x) { unsigned char r[4096]; cmd(x, r, 4096); use(r); return 0; }
            """,
    };

    // Code GCC's guessed profile says never runs (Reachability.Likelihood; the kernel's printk family is __cold): a block
    // whose first call is to a cold function, and what only such blocks reach; where the function's entry is such a
    // block, all of it is optimized for size (memcpy inline, a printed literal strcpy), and a static called only from
    // such blocks is too. A branch every path of which calls a cold function is only predicted not taken: there, as in
    // any block that never runs, a 6-byte equality memcmp is a call, but memcpy stays as in the rest of the function.
    // Expectations from gcc-12 -O2 with the kernel's flags (nm -u, use and info left out).
    [Theory]
    [InlineData("a cold call first", "memcmp")]
    [InlineData("a call before it", null)]
    [InlineData("a cold call in a branch, after the join", null)]
    [InlineData("in the cold branch", "memcmp")]
    [InlineData("before the cold call in its branch", "memcmp")]
    [InlineData("a call before the cold call in its branch", "memcmp")]
    [InlineData("a cold call first after a join", "memcmp")]
    [InlineData("after a branch that returned", null)]
    [InlineData("arithmetic before it", "memcmp")]
    [InlineData("a builtin before it", "memcmp")]
    [InlineData("volatile assembly before it", null)]
    [InlineData("assembly before it", "memcmp")]
    [InlineData("both branches cold", "memcmp")]
    [InlineData("the other branch", null)]
    [InlineData("a cold case", "memcmp")]
    [InlineData("through an inline function", "memcmp")]
    [InlineData("an inline function without calls before it", "memcmp")]
    [InlineData("a loop before it", "memcmp")]
    [InlineData("a literal printed after it", "strcpy")]
    [InlineData("a literal printed before it", "strcpy")]
    [InlineData("a copy after it", null)]
    [InlineData("a copy in the cold branch", "memcpy")]
    [InlineData("a copy after a cold call in a branch", "memcpy")]
    [InlineData("a copy after a cold call after a join", "memcpy")]
    [InlineData("after two branches that each call first", null)]
    [InlineData("a copy after two cold branches", "memcpy")]
    [InlineData("a static called after a cold call after a join", null)]
    [InlineData("a static called in the cold branch", "memcpy")]
    [InlineData("a static called after a call and a cold call", "memcpy")]
    public void CodeGccPredictsNeverRunsIsOptimizedForSize(string program, string? emitted)
    {
        var undefined = Snippet.Undefined($$"""
            typedef unsigned long size_t;
            int memcmp(const void *, const void *, size_t);
            void *memcpy(void *, const void *, size_t);
            int sprintf(char *, const char *, ...);
            int use(const void *);
            __attribute__((cold)) void info(const char *, ...);
            static inline void wrap(char *p) { p[0] = 1; }
            static inline void winfo(void) { info("x"); }
            static __attribute__((noinline)) void out(char *p, const char *q, int n) { memcpy(p, q, n); use(p); }
            void f(char *p, const char *q, int n) { {{NeverRuns[program]}} }
            """);
        Assert.Equal(emitted is null ? [] : [emitted], undefined.Where(u => u is not ("use" or "info")));
    }

    private static readonly Dictionary<string, string> NeverRuns = new()
    {
        ["a cold call first"] = """info("x"); if (!memcmp(p, q, 6)) use(p);""",
        ["a call before it"] = """use(p); info("x"); if (!memcmp(p, q, 6)) use(p);""",
        ["a cold call in a branch, after the join"] = """if (n) info("x"); if (!memcmp(p, q, 6)) use(p);""",
        ["in the cold branch"] = """if (n) { info("x"); if (!memcmp(p, q, 6)) use(p); }""",
        ["before the cold call in its branch"] = """if (n) { if (!memcmp(p, q, 6)) use(p); info("y"); }""",
        ["a call before the cold call in its branch"] = """if (n) { use(p); info("x"); if (!memcmp(p, q, 6)) use(p); }""",
        ["a cold call first after a join"] = """if (n) use(p); info("x"); if (!memcmp(p, q, 6)) use(p);""",
        ["after a branch that returned"] = """if (n) { info("x"); return; } if (!memcmp(p, q, 6)) use(p);""",
        ["arithmetic before it"] = """n = n * 3; info("x"); if (!memcmp(p, q, 6)) use(p);""",
        ["a builtin before it"] = """memcpy(p, q, n); info("x"); if (!memcmp(p, q, 6)) use(p);""",
        ["volatile assembly before it"] = """asm volatile("nop"); info("x"); if (!memcmp(p, q, 6)) use(p);""",
        ["assembly before it"] = """asm("nop" : "=r"(n)); info("x"); if (!memcmp(p, q, 6)) use(p);""",
        ["both branches cold"] = """if (n) info("x"); else info("y"); if (!memcmp(p, q, 6)) use(p);""",
        ["the other branch"] = """if (n) { info("y"); } else { if (!memcmp(p, q, 6)) use(p); }""",
        ["a cold case"] = """switch (n) { case 1: use(p); break; case 2: info("x"); if (!memcmp(p, q, 6)) use(p); break; }""",
        ["through an inline function"] = """winfo(); if (!memcmp(p, q, 6)) use(p);""",
        ["an inline function without calls before it"] = """wrap(p); info("x"); if (!memcmp(p, q, 6)) use(p);""",
        ["a loop before it"] = """for (int i = 0; i < n; i++) use(p); info("x"); if (!memcmp(p, q, 6)) use(p);""",
        ["a literal printed after it"] = """info("x"); sprintf(p, "fixed"); use(p);""",
        ["a literal printed before it"] = """sprintf(p, "fixed"); info("x"); use(p);""",
        ["a copy after it"] = """info("x"); memcpy(p, q, n); use(p);""",
        ["a copy in the cold branch"] = """if (n) { memcpy(p, q, n); info("x"); }""",
        ["a copy after a cold call in a branch"] = """if (n) { info("x"); memcpy(p, q, n); }""",
        ["a copy after a cold call after a join"] = """if (n) use(p); info("x"); memcpy(p, q, n);""",
        ["after two branches that each call first"] = """if (n) { use(p); info("x"); } else { use(q); info("y"); } if (!memcmp(p, q, 6)) use(p);""",
        ["a copy after two cold branches"] = """use(p); if (n) info("x"); else info("y"); memcpy(p, q, n);""",
        ["a static called after a cold call after a join"] = """if (n) use(p); info("x"); out(p, q, n);""",
        ["a static called in the cold branch"] = """if (n) { out(p, q, n); info("x"); }""",
        ["a static called after a call and a cold call"] = """use(p); info("x"); out(p, q, n);""",
    };
}
