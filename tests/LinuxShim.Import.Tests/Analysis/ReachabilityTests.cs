// SPDX-License-Identifier: MIT
// Tests of which external symbols a unit's surviving code references: each snippet is a pattern
// the kernel headers use, with the answer GCC gives at -O2.
namespace LinuxShim.Import.Tests.Analysis;

public class ReachabilityTests
{
    [Fact]
    public void ExternalDefinitionsAreRootsAndTheirCalleesAreRequired()
    {
        var undefined = Snippet.Undefined("""
            void used_by_root(int);
            void only_in_dead_static(void);
            static void never_called(void) { only_in_dead_static(); }
            int root(int x) { used_by_root(x); return 0; }
            """);
        Assert.Equal(["used_by_root"], undefined);
    }

    [Fact]
    public void ConstantConditionsDropTheBranchNotTaken()
    {
        var undefined = Snippet.Undefined("""
            void taken(void); void not_taken(void); void also_not(void);
            void f(void) {
                if (sizeof(long) == 8) taken(); else not_taken();
                if (0 && (also_not(), 1)) not_taken();
            }
            """);
        Assert.Equal(["taken"], undefined);
    }

    [Fact]
    public void InlineFunctionsAreFoldedPerCallingContext()
    {
        // The kmalloc() pattern: a constant size takes a different path than a run-time one.
        var undefined = Snippet.Undefined("""
            void *const_path(unsigned long); void *generic_path(unsigned long);
            static inline __attribute__((always_inline)) void *alloc(unsigned long size) {
                if (__builtin_constant_p(size)) {
                    if (size > 4096) return 0;
                    return const_path(size);
                }
                return generic_path(size);
            }
            void *a(void) { return alloc(64); }
            """);
        Assert.Equal(["const_path"], undefined);
        Assert.Contains("generic_path", Snippet.Undefined("""
            void *const_path(unsigned long); void *generic_path(unsigned long);
            static inline void *alloc(unsigned long size) {
                if (__builtin_constant_p(size)) return const_path(size);
                return generic_path(size);
            }
            void *b(unsigned long n) { return alloc(n); }
            """));
    }

    [Fact]
    public void CharactersOfAStringLiteralArgumentFold()
    {
        // Linux 6.12's seq_puts(): a literal of one character is seq_putc(), a longer one seq_write().
        const string seq = """
            struct seq_file; void __seq_puts(struct seq_file *, const char *); void seq_putc(struct seq_file *, char);
            void seq_write(struct seq_file *, const void *, unsigned long);
            static inline void seq_puts(struct seq_file *m, const char *s) {
                if (!__builtin_constant_p(*s)) __seq_puts(m, s);
                else if (s[0] && !s[1]) seq_putc(m, s[0]);
                else seq_write(m, s, __builtin_strlen(s));
            }
            """;
        Assert.Equal(["seq_write"], Snippet.Undefined(seq + "void a(struct seq_file *m) { seq_puts(m, \"hello\"); }"));
        Assert.Equal(["seq_putc"], Snippet.Undefined(seq + "void b(struct seq_file *m) { seq_puts(m, \"\\n\"); }"));
        Assert.Equal(["__seq_puts"], Snippet.Undefined(seq + "void c(struct seq_file *m, const char *s) { seq_puts(m, s); }"));
    }

    [Fact]
    public void LocalsAssignedConstantsFoldAndSwitchesOnConstantsPickOneCase()
    {
        var undefined = Snippet.Undefined("""
            void one(void); void two(void); void other(void); void masked(void);
            void f(void) {
                unsigned mask = 0;
                mask |= 4;
                if (mask & 2) masked();
                switch (sizeof(short)) { case 1: one(); break; case 2: two(); break; default: other(); }
            }
            """);
        Assert.Equal(["two"], undefined);
    }

    [Fact]
    public void ALocalTheCasesOfASwitchSetDifferentlyIsUnknownAfterIt()
    {
        // sst-atom-controls.c: set_mixer is true after two cases and false after the default, which the walk
        // of the body visits last; it must not read as the false it started with (_dev_warn was missed).
        var undefined = Snippet.Undefined("""
            void warn(void); void power(void);
            int f(int event, int on) {
                int set = 0;
                switch (event) { case 1: set = 1; break; case 2: if (on) set = 1; break; default: set = 0; }
                if (!set) return 0;
                warn();
                int mode = 3;
                switch (event) { case 1: mode = 3; break; case 4: mode = 3; break; }
                if (mode != 3) power();
                return 1;
            }
            """);
        Assert.Equal(["warn"], undefined);
    }

    [Fact]
    public void ElementsOfAnArrayOnlyReadAreConstants()
    {
        // ip_vs_mh.c: "static int primes[] = {…}; kcalloc(primes[4], …)" is a constant size to GCC.
        var undefined = Snippet.Undefined("""
            void big(void); void small(void); void other(void); void third(void);
            static int primes[] = { 251, 509, 1021, 2039, 4093 };
            static int written[] = { 1, 2 };
            static const int fixed[3] = { 7, 8, 9 };
            static int passed[] = { 3, 4 };
            void use(int *);
            void f(int i) {
                if (primes[4] > 4000) big(); else small();
                written[i] = 5;
                if (written[0] != 1) other();
                if (fixed[2] != 9) other();
                use(passed);
                if (passed[1] != 4) third();
            }
            """);
        Assert.Equal(["big", "other", "third", "use"], undefined);
    }

    [Fact]
    public void WhatALoopWritesIsKnownBeforeTheLoopAndNotFromItsFirstIteration()
    {
        // tipc's "u32 remaining = …; prandom_u32_max(remaining)" before "while (remaining--)": a constant to GCC
        // at that call; inside a loop that writes it, and after it, not (gcc-12 -O2: f calls fast, h slow, k g).
        var undefined = Snippet.Undefined("""
            unsigned slow(unsigned); unsigned fast(void); void g(void); int more(void);
            static inline __attribute__((always_inline)) unsigned below(unsigned ceil) { if (!__builtin_constant_p(ceil)) return slow(ceil); return fast(); }
            unsigned f(void) { unsigned remaining = 100; unsigned p = below(remaining); while (remaining--) { p++; if (p > 7) return p; } return 0; }
            unsigned h(int n) { unsigned r = 100, p = 0; for (int i = 0; i < n; i++) { p += below(r); r = more(); } return p; }
            void k(int n) { int x = 0; for (int i = 0; i < n; i++) x = more(); if (x) g(); }
            """);
        Assert.Equal(["fast", "g", "more", "slow"], undefined);
        // Each function on its own: f needs only fast.
        Assert.Equal(["fast"], Snippet.Undefined("""
            unsigned slow(unsigned); unsigned fast(void);
            static inline __attribute__((always_inline)) unsigned below(unsigned ceil) { if (!__builtin_constant_p(ceil)) return slow(ceil); return fast(); }
            unsigned f(void) { unsigned remaining = 100; unsigned p = below(remaining); while (remaining--) { p++; if (p > 7) return p; } return 0; }
            """));
    }

    [Fact]
    public void BranchesThatDisagreeLeaveALocalUnknown()
    {
        var undefined = Snippet.Undefined("""
            int cond(void); void maybe(void);
            void f(void) {
                int flag = 0;
                if (cond()) flag = 1;
                if (flag) maybe();
            }
            """);
        Assert.Equal(["cond", "maybe"], undefined);
    }

    [Fact]
    public void AddressTakenLocalsAreFollowedOnlyUntilTheAddressEscapes()
    {
        var undefined = Snippet.Undefined("""
            void fill(int *); void before(void); void after(void);
            void f(void) {
                int v = 0;
                if (v) before();
                fill(&v);
                if (v) after();
            }
            """);
        Assert.Equal(["after", "fill"], undefined);
    }

    [Fact]
    public void CodeAfterReturnIsDeadUntilALabel()
    {
        var undefined = Snippet.Undefined("""
            void dead(void); void live(void); int cond(void);
            void f(void) {
                if (cond()) goto out;
                return;
                dead();
            out:
                live();
            }
            """);
        Assert.Equal(["cond", "live"], undefined);
    }

    [Fact]
    public void ArgumentsAnInlineFunctionNeverReadsGenerateNoCode()
    {
        // cpu_max_bits_warn(cpu, nr_cpu_ids) with CONFIG_DEBUG_PER_CPU_MAPS off.
        var undefined = Snippet.Undefined("""
            extern unsigned int nr_cpu_ids; extern unsigned int read_one;
            static inline void check(unsigned int cpu, unsigned int bits) { }
            static inline unsigned int get(unsigned int v) { return v; }
            unsigned int f(unsigned int cpu) { check(cpu, nr_cpu_ids); return get(read_one); }
            """);
        Assert.Equal(["read_one"], undefined);
    }

    [Fact]
    public void UnknownObjectSizesFoldFortifyChecksAway()
    {
        var undefined = Snippet.Undefined("""
            void fortify_panic(const char *); void *memcpy(void *, const void *, unsigned long);
            void copy(void *dst, const void *src, unsigned long n) {
                unsigned long p_size = __builtin_object_size(dst, 0);
                if (p_size != (unsigned long)-1 && p_size < n) fortify_panic("copy");
                __builtin_memcpy(dst, src, n);
            }
            void fixed(void *dst, const void *src) { char buf[16]; __builtin_memcpy(buf, src, sizeof(buf)); }
            """);
        Assert.Equal(["memcpy"], undefined);
    }

    [Fact]
    public void UsedAndAliasAttributesKeepStaticDefinitions()
    {
        var result = Snippet.Analyze("""
            extern const struct ops { int x; } param_ops_int;
            static const void *keep __attribute__((used)) = &param_ops_int;
            int helper(void);
            static int my_init(void) { return helper(); }
            int init_module(void) __attribute__((alias("my_init")));
            """);
        Assert.Equal(["helper", "param_ops_int"], result.Undefined);
        Assert.Contains("init_module", result.Defined);
        Assert.Equal("my_init", result.Metadata.Init);
    }

    [Fact]
    public void AsmLabelsRenameAndAsmCallsAreReferences()
    {
        var undefined = Snippet.Undefined("""
            extern long __real_strscpy(char *, const char *, unsigned long) __asm__("strscpy");
            long f(char *d, const char *s) { asm volatile("call __sw_hweight32" ::: "memory"); return __real_strscpy(d, s, 8); }
            """);
        Assert.Equal(["__sw_hweight32", "strscpy"], undefined);
    }

    [Fact]
    public void CompileTimeErrorFunctionsAndTentativeDefinitionsAreNotImports()
    {
        var result = Snippet.Analyze("""
            extern void __bad_size(void) __attribute__((error("bad size")));
            int counter;
            static int hidden;
            int f(unsigned long n) { if (n > 8) __bad_size(); hidden++; return counter; }
            """);
        Assert.Empty(result.Undefined);
        Assert.Contains("counter", result.Defined);
        Assert.DoesNotContain("hidden", result.Defined);
    }

    [Fact]
    public void ReferencesRememberWhichFunctionMadeThem()
    {
        var result = Snippet.Analyze("""
            void deep(void);
            static void middle(void) { deep(); }
            void top(void) { middle(); }
            """);
        Assert.Equal("middle", result.ReferencedFrom["deep"]);
    }

    [Fact]
    public void ParseErrorsAreReportedNotThrown()
    {
        var result = Snippet.Analyze("int f(void) { return undeclared_thing + ; }");
        Assert.NotEmpty(result.Errors);
        Assert.Contains(result.Errors, e => e.Contains("unit.c", StringComparison.Ordinal));
    }

    [Fact]
    public void StringBuiltinsFoldOrBecomeTheCallsGccEmits()
    {
        var undefined = Snippet.Undefined("""
            int sprintf(char *, const char *, ...);
            static inline unsigned long len(const char *p) { return __builtin_strlen(p); }
            void f(char *d, const char *s) {
                sprintf(d, "%s", s);              /* GCC: strcpy(d, s) */
                __builtin_strcpy(d, "literal");   /* a memcpy of known size, inline */
                if (len("abc") != 3) __builtin_strcpy(d, s);
                __builtin_strncpy(d, s, 8);       /* unknown source: a call */
            }
            """);
        Assert.Equal(["strcpy", "strncpy"], undefined);
    }

    [Fact]
    public void ChooseExprCompilesOnlyTheChosenOperand()
    {
        var undefined = Snippet.Undefined("""
            void chosen(void); void other(void);
            void f(void) { __builtin_choose_expr(sizeof(int) == 4, chosen(), other()); }
            """);
        Assert.Equal(["chosen"], undefined);
    }

    [Fact]
    public void GlobalLabelsInFileScopeAsmAreDefinitions()
    {
        var result = Snippet.Analyze("""
            asm(".pushsection .text\n.globl __SCT__tp_func_demo\n__SCT__tp_func_demo:\n ret\n.popsection");
            extern void __SCT__tp_func_demo(void);
            void f(void) { __SCT__tp_func_demo(); }
            """);
        Assert.Empty(result.Undefined);
        Assert.Contains("__SCT__tp_func_demo", result.Defined);
    }
    [Fact]
    public void CleanupAttributeCallsItsFunctionWhenTheVariableGoesOutOfScope()
    {
        // Linux 6.12's DEFINE_FREE(free_cpumask_var, …) and __free(free_cpumask_var): the call is in the
        // inline __free_free_cpumask_var, reached only through the attribute.
        var result = Snippet.Analyze("""
            void free_cpumask_var(void *mask);
            void release(int *x);
            void *alloc_mask(void);
            static inline void __free_free_cpumask_var(void *p) { void *_T = *(void **)p; if (_T) free_cpumask_var(_T); }
            int probe(void) {
                void *mask __attribute__((cleanup(__free_free_cpumask_var))) = alloc_mask();
                int n __attribute__((cleanup(release))) = 0;
                return mask != 0;
            }
            """);
        Assert.Empty(result.Errors);
        Assert.Equal(["alloc_mask", "free_cpumask_var", "release"], result.Undefined);
        Assert.Equal(["probe"], result.Callers["free_cpumask_var"]);
    }

    [Fact]
    public void RequiredSymbolsCarryTheirPrototypeAndEveryEmittedCaller()
    {
        var result = Snippet.Analyze("""
            typedef unsigned long size_t;
            void *__kmalloc(size_t size, unsigned flags);
            extern int debug_level;
            static inline void *kmalloc(size_t size) { return __kmalloc(size, 0); }
            void *open_ring(void) { return kmalloc(64); }
            void *open_queue(int n) { return debug_level ? kmalloc(n) : 0; }
            """);
        Assert.Empty(result.Errors);
        Assert.Equal("void *(size_t, unsigned int)", result.Prototypes["__kmalloc"]);
        Assert.Equal("void *(unsigned long, unsigned int)", result.CanonicalPrototypes["__kmalloc"]);
        Assert.False(result.CanonicalPrototypes.ContainsKey("debug_level"));
        Assert.Equal("int", result.Prototypes["debug_level"]);
        Assert.Equal(["open_queue", "open_ring"], result.Callers["__kmalloc"]);
        Assert.Equal(["open_queue"], result.Callers["debug_level"]);
    }
}
