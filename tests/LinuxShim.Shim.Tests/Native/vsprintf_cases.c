/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test side, native: the case table for shim/native/vsprintf.c, compiled with the same kernel flags
 * and linked into the same .so by VsprintfTests.cs. Expected strings are worked out from the C
 * standard and Documentation/core-api/printk-formats.rst. Every case also checks the return value,
 * size 0, truncation at several sizes (stored prefix, NUL, nothing written past the size),
 * vscnprintf's count and vsprintf.
 */
#include <linux/types.h>
#include <linux/stdarg.h>
#include <linux/limits.h>
#include <linux/compiler.h>
#include <linux/kernel.h>
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/printk.h>
#include <linux/ioport.h>
#include <linux/netdev_features.h>

int linuxshim_test_vsprintf(char *report, int size);
int linuxshim_test_snprintf(char *buf, size_t size, int counted);

#define OUT_SIZE 256
#define FILL '#'

static struct {
	char *buf;
	int size, len, cases, failures;
	int failed_case;	/* the last case reported: one report a case, the first thing it got wrong */
} rep;

/* volatile: GCC would otherwise turn the loop into a call to strlen, which nothing here provides. */
static size_t length(const char *s)
{
	size_t n = 0;

	while (((const volatile char *)s)[n])
		n++;
	return n;
}

/* Appends to the report by hand, so a broken vsnprintf cannot garble its own failure report. */
static void say(const char *s)
{
	for (; *s; s++) {
		if (rep.len + 1 < rep.size)
			rep.buf[rep.len++] = *s;
	}
	if (rep.size)
		rep.buf[rep.len] = '\0';
}

static void say_int(long long v)
{
	char digits[24], *p = digits + sizeof(digits) - 1;
	unsigned long long u = v < 0 ? -(unsigned long long)v : (unsigned long long)v;

	*p = '\0';
	do {
		*--p = '0' + u % 10;
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	say(p);
}

/* Quoted, with bytes outside printable ASCII as \xHH. */
static void say_quoted(const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char esc[5] = "\\x00";
	size_t i;

	say("\"");
	for (i = 0; i < n; i++) {
		unsigned char c = s[i];
		char one[2] = { (char)c, 0 };

		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
			say(one);
		} else {
			esc[2] = hex[c >> 4];
			esc[3] = hex[c & 15];
			say(esc);
		}
	}
	say("\"");
}

static void fail(int line, const char *fmt, const char *what, const char *expect, size_t expect_len,
		 const char *got, size_t got_len, long long ret, long long want_ret)
{
	if (rep.failed_case == rep.cases)
		return;
	rep.failed_case = rep.cases;
	rep.failures++;
	say("line ");
	say_int(line);
	say(" fmt ");
	say_quoted(fmt, length(fmt));
	say(" ");
	say(what);
	say(": expected ");
	say_quoted(expect, expect_len);
	say(" returning ");
	say_int(want_ret);
	say(", got ");
	say_quoted(got, got_len);
	say(" returning ");
	say_int(ret);
	say("\n");
}

static bool same(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

static void fill(char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		((volatile char *)buf)[i] = FILL;
}

/* One vsnprintf (or vscnprintf) into a buffer of the given size, checked against expect. */
static void run_sized(int line, const char *expect, size_t expect_len, size_t size, bool counted,
		      const char *fmt, va_list args)
{
	char out[OUT_SIZE + 2];
	size_t stored = size ? (expect_len < size - 1 ? expect_len : size - 1) : 0;
	long long want = counted ? (long long)stored : (long long)expect_len;
	long long ret;
	va_list copy;

	fill(out, sizeof(out));
	va_copy(copy, args);
	ret = counted ? vscnprintf(out, size, fmt, copy) : vsnprintf(out, size, fmt, copy);
	va_end(copy);
	if (ret != want || !same(out, expect, stored) || (size && out[stored] != '\0') || out[size] != FILL) {
		if (rep.failed_case != rep.cases) {
			say("buffer size ");
			say_int((long long)size);
			say(": ");
		}
		fail(line, fmt, counted ? "vscnprintf" : "vsnprintf", expect, stored, out,
		     size ? stored + 1 : 0, ret, want);
	}
}

static __printf(3, 4) noinline void check(int line, const char *expect, const char *fmt, ...)
{
	size_t n = length(expect), sizes[6], i;
	char out[OUT_SIZE + 2];
	va_list args;
	int ret;

	rep.cases++;
	if (n + 1 > OUT_SIZE) {
		fail(line, fmt, "case too long for the test", expect, n, "", 0, 0, 0);
		return;
	}
	va_start(args, fmt);
	/* size 0 with no buffer: only the length */
	va_list copy;

	va_copy(copy, args);
	ret = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (ret != (int)n)
		fail(line, fmt, "vsnprintf(NULL, 0)", expect, n, "", 0, ret, n);

	sizes[0] = 1;
	sizes[1] = n / 2 + 1;
	sizes[2] = n;
	sizes[3] = n + 1;
	sizes[4] = OUT_SIZE;
	sizes[5] = 0;
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		if (sizes[i] == 0 && i != 5)
			continue;
		run_sized(line, expect, n, sizes[i], false, fmt, args);
		run_sized(line, expect, n, sizes[i], true, fmt, args);
	}

	fill(out, sizeof(out));
	va_copy(copy, args);
	ret = vsprintf(out, fmt, copy);
	va_end(copy);
	if (ret != (int)n || !same(out, expect, n + 1))
		fail(line, fmt, "vsprintf", expect, n, out, ret >= 0 && ret < OUT_SIZE ? ret : 0, ret, n);
	va_end(args);
}

#define T(expect, ...) check(__LINE__, expect, __VA_ARGS__)

/* %pV: the inner format and its arguments travel in a struct va_format. */
static noinline void check_va_format(int line, const char *expect, const char *outer, const char *inner, ...)
{
	struct va_format vaf;
	va_list va;

	va_start(va, inner);
	vaf.fmt = inner;
	vaf.va = &va;
	check(line, expect, outer, &vaf, 7);
	va_end(va);
}

/* %pV inside %pV. */
static noinline void check_nested_va_format(int line, const char *expect, ...)
{
	struct va_format inner;
	va_list va;

	va_start(va, expect);
	inner.fmt = "n=%d";
	inner.va = &va;
	check_va_format(line, expect, "[%pV|%d]", "<%pV %s>", &inner, "x");
	va_end(va);
}

/* Kernel-style format strings the compiler's format checker would question, kept out of its sight. */
static const char *volatile hidden;

static const char *unchecked(const char *fmt)
{
	hidden = fmt;
	return hidden;
}

static void integers(void)
{
	T("0", "%d", 0);
	T("-1", "%d", -1);
	T("2147483647", "%d", INT_MAX);
	T("-2147483648", "%d", INT_MIN);
	T("-2147483648", "%i", INT_MIN);
	T("4294967295", "%u", UINT_MAX);
	T("-9223372036854775808", "%ld", LONG_MIN);
	T("9223372036854775807", "%ld", LONG_MAX);
	T("18446744073709551615", "%lu", ULONG_MAX);
	T("-9223372036854775808", "%lld", LLONG_MIN);
	T("18446744073709551615", "%llu", ULLONG_MAX);
	T("ffffffffffffffff", "%llx", ULLONG_MAX);
	T("FFFFFFFFFFFFFFFF", "%llX", ULLONG_MAX);
	T("1777777777777777777777", "%llo", ULLONG_MAX);
	T("0x8000000000000000", "%#llx", (unsigned long long)LLONG_MIN);
	T("-128", "%hhd", 128);
	T("127", "%hhd", 127);
	T("255", "%hhu", -1);
	T("ff", "%hhx", 0x1ff);
	T("-1", "%hd", 65535);
	T("-32768", "%hd", 32768);
	T("65535", "%hu", -1);
	T("1234", "%hx", 0x51234);
	T("42", "%zu", (size_t)42);
	T("-42", "%zd", (ssize_t)-42);
	T("18446744073709551615", "%zu", SIZE_MAX);
	T("-5", "%td", (ptrdiff_t)-5);
	T("fffffffffffffffb", "%tx", (ptrdiff_t)-5);
	T("-123", "%jd", (__INTMAX_TYPE__)-123);
	T("123", "%ju", (__UINTMAX_TYPE__)123);
	T("12345678901", unchecked("%Lu"), 12345678901ULL);
	T("-12345678901", unchecked("%Ld"), -12345678901LL);
	T("-12345678901", unchecked("%qd"), -12345678901LL);
	T("42", unchecked("%Zu"), (size_t)42);
	T("deadbeef", "%x", 0xdeadbeef);
	T("DEADBEEF", "%X", 0xdeadbeef);
	T("17", "%o", 15);
	T("1 2 3", "%d %i %u", 1, 2, 3U);
}

static void flags_width_precision(void)
{
	T("   42", "%5d", 42);
	T("42   |", "%-5d|", 42);
	T("00042", "%05d", 42);
	T("-0042", "%05d", -42);
	T("+42", "%+d", 42);
	T("+0", "%+d", 0);
	T(" 42", "% d", 42);
	T("-42", "% d", -42);
	T("+42", unchecked("%+ d"), 42);
	T("-42", "%+d", -42);
	T("  +42", "%+5d", 42);
	T("+0042", "%+05d", 42);
	T("42   ", unchecked("%-05d"), 42);
	T("  042", "%5.3d", 42);
	T("  042", unchecked("%05.3d"), 42);
	T(" -042", "%5.3d", -42);
	T("-000000042", "%.9d", -42);
	T("", "%.0d", 0);
	T("", "%.d", 0);
	T("     ", "%5.0d", 0);
	T("1", "%.0d", 1);
	T("0x1f", "%#x", 31);
	T("0X1F", "%#X", 31);
	T("0", "%#x", 0);
	T("017", "%#o", 15);
	T("0", "%#o", 0);
	T("0", "%#.0o", 0);
	T("00017", "%#.5o", 15);
	T("0x001f", "%#06x", 31);
	T("  0x1f", "%#6x", 31);
	T("0x1f  |", "%-#6x|", 31);
	T("0x0001f", "%#.5x", 31);
	T("    0x0001f", "%#11.5x", 31);
	T("42", unchecked("%+u"), 42U);
	T("42", unchecked("% x"), 0x42U);
	T("   42", "%*d", 5, 42);
	T("42   |", "%*d|", -5, 42);
	T("00042", "%.*d", 5, 42);
	T("42", "%.*d", -1, 42);
	T("  00042", "%*.*d", 7, 5, 42);
	T("00000000000000000000000000000000000000000000000042", "%050d", 42);
	T("-0000000000000000000000000000000000000000000000042", "%050d", -42);
	T("A", "%c", 'A');
	T("    A", "%5c", 'A');
	T("A    |", "%-5c|", 'A');
	T("\xe9", "%c", 0xe9);
	T("ab", "%c%c", 'a', 'b' + 256);
	T("%", "%%");
	T("a%b", "a%%b");
	T("100%", "%d%%", 100);
}

static void strings(void)
{
	static const char unterminated[3] = { 'x', 'y', 'z' };

	T("hello", "%s", "hello");
	T("", "%s", "");
	T("   hi", "%5s", "hi");
	T("hi   |", "%-5s|", "hi");
	T("hel", "%.3s", "hello");
	T("  hel", "%5.3s", "hello");
	T("", "%.0s", "abc");
	T("ab", "%.*s", 2, "abcdef");
	T("   ab", "%*.*s", 5, 2, "abcdef");
	T("xyz", "%.3s", unterminated);
	T("(null)", "%s", (char *)NULL);
	T("(nu", "%.3s", (char *)NULL);
	T("  (null)", "%8s", (char *)NULL);
	T("(efault)", "%s", (char *)16);
	T("(efault)", "%s", (char *)ERR_PTR(-EINVAL));
	T("plain text", "plain text");
	T("", unchecked(""));
	T("a b c", "%s %s %s", "a", "b", "c");
}

static void unsupported(void)
{
	int n = 12345;

	T("ab", "a%nb", &n);
	if (n != 12345)
		fail(__LINE__, "a%nb", "%n wrote", "12345", 5, "", 0, n, 12345);
	T("ab7", unchecked("a%nb%d"), &n, 7);
	T("x", unchecked("x%yz"), 1);
	T("x", unchecked("x%fz"), 1);
	T("ab", unchecked("ab%"));
	T("1", unchecked("%d%k%d"), 1, 2);
}

static void pointers(void)
{
	void *p = (void *)0xdeadbeefUL;

	T("00000000deadbeef", "%p", p);
	T("00000000deadbeef", "%px", p);
	T("00000000deadbeef", "%pK", p);
	T("0000000000000000", "%p", NULL);
	T("0000000000000000", "%px", NULL);
	T("ffffffffffffffff", "%px", (void *)-1L);
	T("ffff888012345678", "%p", (void *)0xffff888012345678UL);
	T("  deadbeef", "%10p", p);
	T("deadbeef  |", "%-10p|", p);
	T("00deadbeef", unchecked("%010p"), p);
	T("00000000deadbeef-", "%p-", p);
	T("00000000deadbeef.x", "%pZzz9.x", p);
	T("0x00000000deadbeef", "%pS", p);
	T("0x00000000deadbeef", "%ps", p);
	T("0x00000000deadbeef", "%pSR", p);
	T("0x00000000deadbeef", "%pSb", p);
	T("0x00000000deadbeef", "%pB", p);
	T("0x00000000deadbeef", "%pF", p);
	T("0x00000000deadbeef", "%pf", p);
	T("0x00000000deadbeef+0", "%pS+%d", p, 0);
	T("  0x00000000deadbeef", "%20pS", p);
	T("0x00000000deadbeef  |", "%-20ps|", p);
	T("0x0000", unchecked("%.6pS"), p);
	/* not decoded here: printed as plain %p */
	T("00000000deadbeef", "%pd", p);
	T("00000000deadbeef", "%pOF", p);
	T("00000000deadbeef", "%pIS", p);
	T("00000000deadbeef", "%p4cc", p);
}

static void network(void)
{
	static const u8 mac[6] = { 0x00, 0x01, 0x02, 0x0a, 0xbc, 0xff };
	static const u8 ip4[4] = { 192, 168, 1, 10 };
	static const u8 v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	static const u8 zero6[16];
	static const u8 loop6[16] = { [15] = 1 };
	static const u8 ll6[16] = { 0xfe, 0x80, [8] = 0x02, 0x02, 0xb3, 0xff, 0xfe, 0x1e, 0x83, 0x29 };
	static const u8 one_zero6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1 };
	static const u8 longer6[16] = { 0x20, 0x01, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1 };
	static const u8 tie6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1 };
	static const u8 tail6[16] = { 0, 1 };
	static const u8 mapped6[16] = { [10] = 0xff, 0xff, 192, 0, 2, 1 };
	static const u8 upper6[16] = { 0xab, 0xcd, [15] = 0xef };

	T("00:01:02:0a:bc:ff", "%pM", mac);
	T("ff:bc:0a:02:01:00", "%pMR", mac);
	T("00-01-02-0a-bc-ff", "%pMF", mac);
	T("0001020abcff", "%pm", mac);
	T("ffbc0a020100", "%pmR", mac);
	T("mac 00:01:02:0a:bc:ff up", "mac %pM up", mac);
	T("  00:01:02:0a:bc:ff", "%19pM", mac);
	T("00:01:02:0a:bc:ff  |", "%-19pM|", mac);
	T("00:01", unchecked("%.5pM"), mac);
	T("(null)", "%pM", NULL);
	T("(efault)", "%pM", (void *)8);
	T("(efault)", "%pM", ERR_PTR(-ENOMEM));
	T("    (null)", "%10pM", NULL);

	T("192.168.1.10", "%pI4", ip4);
	T("192.168.001.010", "%pi4", ip4);
	T("192.168.1.10", "%pI4n", ip4);
	T("192.168.1.10", "%pI4b", ip4);
	T("10.1.168.192", "%pI4h", ip4);
	T("10.1.168.192", "%pI4l", ip4);
	T("010.001.168.192", "%pi4h", ip4);
	T("192.168.1.10:80", "%pI4:%d", ip4, 80);
	T("(null)", "%pI4", NULL);

	T("2001:0db8:0000:0000:0000:0000:0000:0001", "%pI6", v6);
	T("20010db8000000000000000000000001", "%pi6", v6);
	T("2001:db8::1", "%pI6c", v6);
	T("::", "%pI6c", zero6);
	T("::1", "%pI6c", loop6);
	T("fe80::202:b3ff:fe1e:8329", "%pI6c", ll6);
	T("2001:db8:0:1:1:1:1:1", "%pI6c", one_zero6);
	T("2001:0:0:1::1", "%pI6c", longer6);
	T("2001:db8::1:0:0:1", "%pI6c", tie6);
	T("1::", "%pI6c", tail6);
	T("::ffff:192.0.2.1", "%pI6c", mapped6);
	T("abcd::ef", "%pI6c", upper6);
	T("[2001:db8::1]", "[%pI6c]", v6);
	T("(null)", "%pI6", NULL);
}

static void buffers(void)
{
	static const u8 hx[5] = { 0x00, 0x01, 0xab, 0xcd, 0xef };
	static const u8 esc[10] = { 0x1b, 0x62, 0x20, 0x5c, 0x43, 0x07, 0x22, 0x90, 0x0d, 0x5d };
	static const u8 ctl[4] = { 0, 'a', '\n', '\t' };
	static u8 big[70];
	static char big_expect[64 * 3];
	int i;

	T("00 01 ab cd ef", "%5ph", hx);
	T("00:01:ab:cd:ef", "%5phC", hx);
	T("00-01-ab-cd-ef", "%5phD", hx);
	T("0001abcdef", "%5phN", hx);
	T("00 01 ab", "%*ph", 3, hx);
	T("00", "%ph", hx);
	T("", "%*ph", 0, hx);
	T("(null)", "%4ph", NULL);
	for (i = 0; i < 70; i++)
		big[i] = i;
	for (i = 0; i < 64; i++) {
		big_expect[3 * i] = "0123456789abcdef"[i >> 4];
		big_expect[3 * i + 1] = "0123456789abcdef"[i & 15];
		big_expect[3 * i + 2] = i == 63 ? '\0' : ' ';
	}
	T(big_expect, "%*ph", 70, big);

	/* the three examples of printk-formats.rst */
	T("\\eb \\C\\a\"\\220\\r]", "%*pE", 10, esc);
	T("\\x1bb \\C\\x07\"\\x90\\x0d]", "%*pEhp", 10, esc);
	T("\\e\\142\\040\\\\\\103\\a\\042\\220\\r\\135", "%*pEa", 10, esc);
	T("\\e", "%pE", esc);
	T("\\0a\n\t", "%*pEn", 4, ctl);
	T("\\0\\141\\n\\t", "%*pEsno", 4, ctl);
	T("\\0a\\n\\t", "%*pEnsp", 4, ctl);
	T("\\101", "%*pEo", 1, "A");
	T("\\x41", "%*pEh", 1, "A");
	T("(null)", "%*pE", 3, NULL);
}

static void errors_and_addresses(void)
{
	phys_addr_t pa = 0x12345678;
	dma_addr_t da = 0xfedcba9876543210ULL;
	netdev_features_t features = 0xc000;
	static const u8 uuid[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
	static const unsigned long bitmap[2] = { 0x779 };
	static const unsigned long wide[2] = { 0x100000005UL, 0x8000000000000000UL };
	static const unsigned long all = ~0UL;

	T("-ENOMEM", "%pe", ERR_PTR(-ENOMEM));
	T("-EINVAL", "%pe", ERR_PTR(-EINVAL));
	T("-EIO", "%pe", ERR_PTR(-EIO));
	T("-ENODEV", "%pe", ERR_PTR(-ENODEV));
	T("-EBUSY", "%pe", ERR_PTR(-EBUSY));
	T("-EAGAIN", "%pe", ERR_PTR(-EAGAIN));
	T("-EAGAIN", "%pe", ERR_PTR(-EWOULDBLOCK));
	T("-ETIMEDOUT", "%pe", ERR_PTR(-ETIMEDOUT));
	T("-EOPNOTSUPP", "%pe", ERR_PTR(-EOPNOTSUPP));
	T("-ENOSPC", "%pe", ERR_PTR(-ENOSPC));
	T("-EFAULT", "%pe", ERR_PTR(-EFAULT));
	T("-EPERM", "%pe", ERR_PTR(-EPERM));
	T("-ENOENT", "%pe", ERR_PTR(-ENOENT));
	T("-EPROBE_DEFER", "%pe", ERR_PTR(-EPROBE_DEFER));
	T("-ENOTSUPP", "%pe", ERR_PTR(-ENOTSUPP));
	T("-ERESTART_RESTARTBLOCK", "%pe", ERR_PTR(-ERESTART_RESTARTBLOCK));
	T("-4000", "%pe", ERR_PTR(-4000));
	T("-4095", "%pe", ERR_PTR(-4095));
	T("00000000deadbeef", "%pe", (void *)0xdeadbeefUL);
	T("0000000000000000", "%pe", NULL);
	T("   -ENOMEM", "%10pe", ERR_PTR(-ENOMEM));
	T("-ENOMEM   |", "%-10pe|", ERR_PTR(-ENOMEM));
	T("probe failed: -EIO", "probe failed: %pe", ERR_PTR(-EIO));

	T("0x0000000012345678", "%pa", &pa);
	T("0x0000000012345678", "%pap", &pa);
	T("0xfedcba9876543210", "%pad", &da);
	T("(null)", "%pa", NULL);
	T("(null)", "%pad", NULL);
	T("0x000000000000c000", "%pNF", &features);

	T("00010203-0405-0607-0809-0a0b0c0d0e0f", "%pU", uuid);
	T("00010203-0405-0607-0809-0a0b0c0d0e0f", "%pUb", uuid);
	T("00010203-0405-0607-0809-0A0B0C0D0E0F", "%pUB", uuid);
	T("03020100-0504-0706-0809-0a0b0c0d0e0f", "%pUl", uuid);
	T("03020100-0504-0706-0809-0A0B0C0D0E0F", "%pUL", uuid);

	T("0779", "%*pb", 16, bitmap);
	T("0,3-6,8-10", "%*pbl", 16, bitmap);
	T("9", "%*pb", 4, bitmap);
	T("0,3", "%*pbl", 4, bitmap);
	T("01,00000005", "%*pb", 40, wide);
	T("0,2,32", "%*pbl", 40, wide);
	T("80000000,00000000,00000001,00000005", "%*pb", 128, wide);
	T("0,2,32,127", "%*pbl", 128, wide);
	T("0-63", "%*pbl", 64, &all);
	T("", "%*pbl", 16, &wide[1]);
	T("", "%*pb", 0, bitmap);
}

static void resources(void)
{
	struct resource mem = DEFINE_RES_MEM(0xfebf0000, 0x10000);
	struct resource mem64 = DEFINE_RES_MEM(0x100000000ULL, 0x1000);
	struct resource io = DEFINE_RES_IO(0xc000, 0x40);
	struct resource port = DEFINE_RES_IO(0x60, 1);
	struct resource irq = DEFINE_RES_IRQ(11);
	struct resource bus = DEFINE_RES_NAMED(0, 0x100, "bus", IORESOURCE_BUS);

	T("[mem 0xfebf0000-0xfebfffff]", "%pR", &mem);
	T("[mem 0xfebf0000-0xfebfffff flags 0x200]", "%pr", &mem);
	T("[io  0xc000-0xc03f]", "%pR", &io);
	T("[io  0x0060-0x0060]", "%pR", &port);
	T("[irq 11]", "%pR", &irq);
	T("[bus 00-ff]", "%pR", &bus);
	T("[mem 0x100000000-0x100000fff]", "%pR", &mem64);
	mem64.flags |= IORESOURCE_MEM_64 | IORESOURCE_PREFETCH;
	T("[mem 0x100000000-0x100000fff 64bit pref]", "%pR", &mem64);
	mem.flags |= IORESOURCE_WINDOW | IORESOURCE_DISABLED;
	T("[mem 0xfebf0000-0xfebfffff window disabled]", "%pR", &mem);
	T("BAR0: [mem 0xfebf0000-0xfebfffff window disabled]", "BAR0: %pR", &mem);
	T("(null)", "%pR", NULL);
}

static void va_formats(void)
{
	check_va_format(__LINE__, "<x=5 s=ab> 7", "<%pV> %d", "x=%d s=%s", 5, "ab");
	check_va_format(__LINE__, "e1000: -EIO at 0x0000000000001000 7", "e1000: %pV %d",
			"%pe at %pa", ERR_PTR(-EIO), &(phys_addr_t){ 0x1000 });
	check_va_format(__LINE__, "ffffffffffffffff|7", "%pV|%d", "%llx", ULLONG_MAX);
	check_nested_va_format(__LINE__, "[<n=42 x>|7]", 42);
	T("(null)", "%pV", NULL);
}

static void wrappers(void)
{
	/* Called through pointers so the compiler cannot fold them into anything else. */
	int (*volatile p_snprintf)(char *, size_t, const char *, ...) = snprintf;
	int (*volatile p_scnprintf)(char *, size_t, const char *, ...) = scnprintf;
	int (*volatile p_sprintf)(char *, const char *, ...) = sprintf;
	char out[16];
	int ret;

	rep.cases++;
	fill(out, sizeof(out));
	ret = p_snprintf(out, 4, "%d", 12345);
	if (ret != 5 || !same(out, "123", 4) || out[4] != FILL)
		fail(__LINE__, "%d", "snprintf size 4", "123", 3, out, 4, ret, 5);

	rep.cases++;
	fill(out, sizeof(out));
	ret = p_scnprintf(out, 4, "%d", 12345);
	if (ret != 3 || !same(out, "123", 4) || out[4] != FILL)
		fail(__LINE__, "%d", "scnprintf size 4", "123", 3, out, 4, ret, 3);

	rep.cases++;
	fill(out, sizeof(out));
	ret = p_scnprintf(out, 0, "%d", 12345);
	if (ret != 0 || out[0] != FILL)
		fail(__LINE__, "%d", "scnprintf size 0", "", 0, out, 1, ret, 0);

	rep.cases++;
	ret = p_scnprintf(out, sizeof(out), "%s-%d", "ab", 1);
	if (ret != 4 || !same(out, "ab-1", 5))
		fail(__LINE__, "%s-%d", "scnprintf", "ab-1", 4, out, 5, ret, 4);

	rep.cases++;
	fill(out, sizeof(out));
	ret = p_sprintf(out, "%s-%d", "a", 1);
	if (ret != 3 || !same(out, "a-1", 4) || out[4] != FILL)
		fail(__LINE__, "%s-%d", "sprintf", "a-1", 3, out, 5, ret, 3);

	/* the kernel refuses a size that cannot be an int: returns 0, writes nothing */
	rep.cases++;
	fill(out, sizeof(out));
	ret = p_snprintf(out, (size_t)INT_MAX + 1, "abc");
	if (ret != 0 || out[0] != FILL)
		fail(__LINE__, "abc", "snprintf size INT_MAX + 1", "", 0, out, 1, ret, 0);
}

int linuxshim_test_vsprintf(char *report, int size)
{
	rep.buf = report;
	rep.size = size;
	rep.len = rep.cases = rep.failures = 0;
	rep.failed_case = -1;
	if (size)
		report[0] = '\0';

	integers();
	flags_width_precision();
	strings();
	unsupported();
	pointers();
	network();
	buffers();
	errors_and_addresses();
	resources();
	va_formats();
	wrappers();

	say_int(rep.cases);
	say(" cases, ");
	say_int(rep.failures);
	say(" failed\n");
	return rep.failures;
}

/* For the managed test: "abcdef-12345" into a buffer of the given size, by snprintf or scnprintf. */
int linuxshim_test_snprintf(char *buf, size_t size, int counted)
{
	int (*volatile p_snprintf)(char *, size_t, const char *, ...) = counted ? scnprintf : snprintf;

	return p_snprintf(buf, size, "%s-%d", "abcdef", 12345);
}
