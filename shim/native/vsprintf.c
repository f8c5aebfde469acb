/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Native side of the shim: the kernel's printf family (vsnprintf, snprintf, scnprintf, sprintf and
 * their va_list forms). Variadic formatting cannot cross into managed code (DESIGN.md D2), so it is
 * C, compiled into the driver's .so. Written from Documentation/core-api/printk-formats.rst and
 * the C standard's printf semantics; it calls nothing outside this file.
 *
 * Integers follow the C standard: flags "-+ #0", width and precision (also "*"), length modifiers
 * hh h l ll L q j z Z t, conversions d i u o x X c s p %. "%n" consumes its pointer and writes
 * nothing. Any other conversion stops formatting there, as the kernel does (without its WARN).
 *
 * After %p every letter and digit belongs to the extension, as in the kernel. Where we differ:
 * - plain %p, %pK and unknown extensions print the raw address like %px: there is no KASLR secret
 *   to protect in this sandbox, and the real address is what helps debugging here;
 * - %pS %ps %pB %pF %pf print "0x" and the address (no kallsyms); %pR decodes only the common flags;
 * - %pIS, %pd, %pD, %pg, %pOF, %pfw, %pt, %pC, %pG, %p4cc, %pA are not decoded: they print the
 *   address as plain %p would.
 * Extensions that read memory print "(null)" for NULL and "(efault)" for addresses in the first
 * page or in the ERR_PTR range instead of faulting.
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
#include <asm/page.h>
#include "shim.h"

/* Output of one vsnprintf call: counts every character, stores those that fit. */
struct sink {
	char *buf;
	size_t cap;	/* characters that fit before the terminating NUL */
	size_t len;	/* characters produced, stored or not */
	size_t budget;	/* characters a precision still allows (SIZE_MAX: no limit) */
};

/* One conversion's flags, width and precision. */
struct spec {
	unsigned int flags;
	int width;	/* -1: none given */
	int precision;	/* -1: none given */
};

#define F_LEFT	0x01	/* '-' */
#define F_PLUS	0x02	/* '+' */
#define F_SPACE	0x04	/* ' ' */
#define F_ALT	0x08	/* '#' */
#define F_ZERO	0x10	/* '0' */

/* Widths and precisions beyond this are clamped, so parsing cannot overflow an int. */
#define FIELD_MAX (1 << 24)
/* %ph prints at most this many bytes (printk-formats.rst: "up to 64 bytes long"). */
#define HEX_BUFFER_MAX 64

static const struct spec no_spec = { 0, -1, -1 };
static const char lower_digits[] = "0123456789abcdef";
static const char upper_digits[] = "0123456789ABCDEF";

static void put(struct sink *s, char c)
{
	if (!s->budget)
		return;
	s->budget--;
	if (s->len < s->cap)
		s->buf[s->len] = c;
	s->len++;
}

static void put_repeated(struct sink *s, char c, int n)
{
	while (n-- > 0)
		put(s, c);
}

static void put_str(struct sink *s, const char *str)
{
	while (*str)
		put(s, *str++);
}

/* Integer conversion with C semantics; negative is the sign of a signed value whose magnitude is v. */
static void put_number(struct sink *s, unsigned long long v, bool negative, unsigned int base,
		       bool upper, const struct spec *sp)
{
	const char *set = upper ? upper_digits : lower_digits;
	char digits[24];	/* 22 octal digits hold 64 bits */
	const char *prefix = "";
	char sign = 0;
	bool zero = v == 0;
	int n = 0, zeros, body, pad;

	while (v) {
		digits[n++] = set[v % base];
		v /= base;
	}
	/* The precision is the minimum number of digits; "%.0d" of 0 prints no digit. */
	zeros = (sp->precision < 0 ? 1 : sp->precision) - n;
	if (zeros < 0)
		zeros = 0;
	if (sp->flags & F_ALT) {
		if (base == 8 && zeros == 0)
			zeros = 1;
		else if (base == 16 && !zero)
			prefix = upper ? "0X" : "0x";
	}
	if (negative)
		sign = '-';
	else if (sp->flags & F_PLUS)
		sign = '+';
	else if (sp->flags & F_SPACE)
		sign = ' ';

	body = (sign ? 1 : 0) + (prefix[0] ? 2 : 0) + zeros + n;
	pad = sp->width > body ? sp->width - body : 0;
	if (!(sp->flags & F_LEFT)) {
		/* '0' pads between sign/prefix and digits, unless a precision is given. */
		if ((sp->flags & F_ZERO) && sp->precision < 0)
			zeros += pad;
		else
			put_repeated(s, ' ', pad);
		pad = 0;
	}
	if (sign)
		put(s, sign);
	put_str(s, prefix);
	put_repeated(s, '0', zeros);
	while (n)
		put(s, digits[--n]);
	put_repeated(s, ' ', pad);
}

static void put_decimal(struct sink *s, unsigned long long v)
{
	put_number(s, v, false, 10, false, &no_spec);
}

/* Exactly ndigits lowercase hex digits (leading zeros kept). */
static void put_hex(struct sink *s, unsigned long long v, int ndigits)
{
	while (ndigits-- > 0)
		put(s, lower_digits[(v >> (4 * ndigits)) & 0xf]);
}

static void put_hex_byte(struct sink *s, u8 v, bool upper)
{
	const char *set = upper ? upper_digits : lower_digits;

	put(s, set[v >> 4]);
	put(s, set[v & 0xf]);
}

/* "0x" and the full width of the type, as %pa and the no-kallsyms %pS print. */
static void put_address(struct sink *s, unsigned long long v, int bytes)
{
	put_str(s, "0x");
	put_hex(s, v, 2 * bytes);
}

/* Spaces that pad n characters to the field width: before them, or after them with '-'. */
static void put_padding(struct sink *s, const struct spec *sp, size_t n, bool after)
{
	if (after == !!(sp->flags & F_LEFT) && sp->width > 0 && (size_t)sp->width > n)
		put_repeated(s, ' ', sp->width - (int)n);
}

/* A string of at most sp->precision characters, padded to sp->width. */
static void put_string(struct sink *s, const char *str, const struct spec *sp)
{
	size_t max = sp->precision < 0 ? SIZE_MAX : (size_t)sp->precision;
	size_t n = 0, i;

	while (n < max && str[n])
		n++;
	put_padding(s, sp, n, false);
	for (i = 0; i < n; i++)
		put(s, str[i]);
	put_padding(s, sp, n, true);
}

/* NULL, the first page and the ERR_PTR range cannot be read: their message, else NULL. */
static const char *unreadable(const void *p)
{
	if (!p)
		return "(null)";
	if ((unsigned long)p < PAGE_SIZE || IS_ERR_VALUE(p))
		return "(efault)";
	return NULL;
}

struct errname {
	int err;
	char name[24];
};

#define ERRNAME(e) { e, "-" #e }
static const struct errname errnames[] = {
	ERRNAME(EPERM), ERRNAME(ENOENT), ERRNAME(ESRCH), ERRNAME(EINTR), ERRNAME(EIO),
	ERRNAME(ENXIO), ERRNAME(E2BIG), ERRNAME(ENOEXEC), ERRNAME(EBADF), ERRNAME(ECHILD),
	ERRNAME(EAGAIN), ERRNAME(ENOMEM), ERRNAME(EACCES), ERRNAME(EFAULT), ERRNAME(ENOTBLK),
	ERRNAME(EBUSY), ERRNAME(EEXIST), ERRNAME(EXDEV), ERRNAME(ENODEV), ERRNAME(ENOTDIR),
	ERRNAME(EISDIR), ERRNAME(EINVAL), ERRNAME(ENFILE), ERRNAME(EMFILE), ERRNAME(ENOTTY),
	ERRNAME(ETXTBSY), ERRNAME(EFBIG), ERRNAME(ENOSPC), ERRNAME(ESPIPE), ERRNAME(EROFS),
	ERRNAME(EMLINK), ERRNAME(EPIPE), ERRNAME(EDOM), ERRNAME(ERANGE),
	ERRNAME(EDEADLK), ERRNAME(ENAMETOOLONG), ERRNAME(ENOLCK), ERRNAME(ENOSYS),
	ERRNAME(ENOTEMPTY), ERRNAME(ELOOP), ERRNAME(ENOMSG), ERRNAME(EIDRM), ERRNAME(ENOSTR),
	ERRNAME(ENODATA), ERRNAME(ETIME), ERRNAME(ENOSR), ERRNAME(ENOLINK), ERRNAME(EPROTO),
	ERRNAME(EBADMSG), ERRNAME(EOVERFLOW), ERRNAME(EILSEQ), ERRNAME(ENOTSOCK),
	ERRNAME(EDESTADDRREQ), ERRNAME(EMSGSIZE), ERRNAME(EPROTOTYPE), ERRNAME(ENOPROTOOPT),
	ERRNAME(EPROTONOSUPPORT), ERRNAME(EOPNOTSUPP), ERRNAME(EAFNOSUPPORT),
	ERRNAME(EADDRINUSE), ERRNAME(EADDRNOTAVAIL), ERRNAME(ENETDOWN), ERRNAME(ENETUNREACH),
	ERRNAME(ENETRESET), ERRNAME(ECONNABORTED), ERRNAME(ECONNRESET), ERRNAME(ENOBUFS),
	ERRNAME(EISCONN), ERRNAME(ENOTCONN), ERRNAME(ESHUTDOWN), ERRNAME(ETIMEDOUT),
	ERRNAME(ECONNREFUSED), ERRNAME(EHOSTDOWN), ERRNAME(EHOSTUNREACH), ERRNAME(EALREADY),
	ERRNAME(EINPROGRESS), ERRNAME(ECANCELED), ERRNAME(ENOMEDIUM), ERRNAME(EMEDIUMTYPE),
	ERRNAME(EREMOTEIO), ERRNAME(ENOKEY), ERRNAME(EKEYEXPIRED),
	/* Kernel-internal codes (include/linux/errno.h). */
	ERRNAME(ERESTARTSYS), ERRNAME(ERESTARTNOINTR), ERRNAME(ERESTARTNOHAND),
	ERRNAME(ENOIOCTLCMD), ERRNAME(ERESTART_RESTARTBLOCK), ERRNAME(EPROBE_DEFER),
	ERRNAME(EOPENSTALE), ERRNAME(ENOPARAM), ERRNAME(EBADHANDLE), ERRNAME(ENOTSYNC),
	ERRNAME(EBADCOOKIE), ERRNAME(ENOTSUPP), ERRNAME(ETOOSMALL), ERRNAME(ESERVERFAULT),
	ERRNAME(EBADTYPE), ERRNAME(EJUKEBOX), ERRNAME(EIOCBQUEUED), ERRNAME(ERECALLCONFLICT),
};

/* "-ENOMEM" for -ENOMEM, "ENOMEM" for ENOMEM, NULL for a code without a name here. */
const char *linuxshim_errname(int err);
const char *linuxshim_errname(int err)
{
	int code = err < 0 ? -err : err;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(errnames); i++)
		if (errnames[i].err == code)
			return err < 0 ? errnames[i].name : errnames[i].name + 1;
	return NULL;
}

static bool is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Does the extension text [ext, end) hold the letter c (after its leading kind letters)? */
static bool has_letter(const char *ext, const char *end, char c)
{
	for (; ext < end; ext++)
		if (*ext == c)
			return true;
	return false;
}

/* %pM %pMR %pMF %pm %pmR: six bytes. */
static void put_mac(struct sink *s, const u8 *mac, const char *ext, const char *end)
{
	bool reverse = has_letter(ext + 1, end, 'R');
	char sep = ext[0] == 'm' ? 0 : has_letter(ext + 1, end, 'F') ? '-' : ':';
	int i;

	for (i = 0; i < 6; i++) {
		if (i && sep)
			put(s, sep);
		put_hex(s, mac[reverse ? 5 - i : i], 2);
	}
}

/* %pI4 / %pi4 with an optional byte order: h (host), l (little), n and b (network, the default). */
static void put_ip4(struct sink *s, const u8 *a, bool leading_zeros, const char *order, const char *end)
{
	static const struct spec three_digits = { 0, -1, 3 };
	bool reverse = false;
	int i;

	for (; order < end; order++) {
		if (*order == 'h')
			reverse = !IS_ENABLED(CONFIG_CPU_BIG_ENDIAN);
		else if (*order == 'l')
			reverse = true;
		else if (*order == 'n' || *order == 'b')
			reverse = false;
	}
	for (i = 0; i < 4; i++) {
		if (i)
			put(s, '.');
		put_number(s, a[reverse ? 3 - i : i], false, 10, false,
			   leading_zeros ? &three_digits : &no_spec);
	}
}

/* %pI6c: RFC 5952 text form (longest run of two or more zero groups as "::", IPv4-mapped dotted). */
static void put_ip6_compressed(struct sink *s, const u8 *a)
{
	int best = -1, best_len = 0, run = 0, i;
	u16 w[8];

	for (i = 0; i < 8; i++)
		w[i] = (u16)(a[2 * i] << 8 | a[2 * i + 1]);
	if (!w[0] && !w[1] && !w[2] && !w[3] && !w[4] && w[5] == 0xffff) {
		put_str(s, "::ffff:");
		put_ip4(s, a + 12, false, NULL, NULL);
		return;
	}
	for (i = 0; i < 8; i++) {
		run = w[i] ? 0 : run + 1;
		if (run >= 2 && run > best_len) {
			best_len = run;
			best = i - run + 1;
		}
	}
	for (i = 0; i < 8; i++) {
		if (i == best) {
			put_str(s, "::");
			i += best_len - 1;
			continue;
		}
		if (i && i != best + best_len)
			put(s, ':');
		put_number(s, w[i], false, 16, false, &no_spec);
	}
}

/* %pI6 (colons, four digits a group), %pi6 (32 digits), %pI6c (compressed). */
static void put_ip6(struct sink *s, const u8 *a, bool colons, bool compressed)
{
	int i;

	if (colons && compressed) {
		put_ip6_compressed(s, a);
		return;
	}
	for (i = 0; i < 16; i++) {
		if (colons && i && !(i & 1))
			put(s, ':');
		put_hex(s, a[i], 2);
	}
}

/* %pU[bBlL]: 16 bytes; l/L swap the first three fields (little-endian GUID), B/L upper case. */
static void put_uuid(struct sink *s, const u8 *u, char variant)
{
	static const u8 little[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };
	bool upper = variant == 'B' || variant == 'L';
	bool swap = variant == 'l' || variant == 'L';
	int i;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			put(s, '-');
		put_hex_byte(s, u[swap ? little[i] : i], upper);
	}
}

#define ESC_SPACE	0x01	/* s: \f \n \r \t \v */
#define ESC_SPECIAL	0x02	/* c: \\ \a \e */
#define ESC_NULL	0x04	/* n: \0 */
#define ESC_OCTAL	0x08	/* o: \ooo */
#define ESC_HEX		0x10	/* h: \xhh */
#define ESC_NP		0x20	/* p: only bytes that are not printable ASCII */
#define ESC_ANY		(ESC_SPACE | ESC_SPECIAL | ESC_NULL | ESC_OCTAL)	/* a */

/* One byte of %pE: the first escape class that applies, else the byte itself. */
static void put_escaped(struct sink *s, u8 c, unsigned int how)
{
	static const char space_from[] = "\f\n\r\t\v", space_to[] = "fnrtv";
	int i;

	if ((how & ESC_NP) && c >= 0x20 && c < 0x7f) {
		put(s, c);
		return;
	}
	if (how & ESC_SPACE) {
		for (i = 0; space_from[i]; i++) {
			if (c == space_from[i]) {
				put(s, '\\');
				put(s, space_to[i]);
				return;
			}
		}
	}
	if ((how & ESC_SPECIAL) && (c == '\\' || c == '\a' || c == 0x1b)) {
		put(s, '\\');
		put(s, c == '\\' ? '\\' : c == '\a' ? 'a' : 'e');
	} else if ((how & ESC_NULL) && c == 0) {
		put_str(s, "\\0");
	} else if (how & ESC_OCTAL) {
		put(s, '\\');
		put(s, '0' + (c >> 6));
		put(s, '0' + ((c >> 3) & 7));
		put(s, '0' + (c & 7));
	} else if (how & ESC_HEX) {
		put_str(s, "\\x");
		put_hex(s, c, 2);
	} else {
		put(s, c);
	}
}

/* %*pE[achnops]: the field width is the buffer length (1 if none), printk-formats.rst. */
static void put_escaped_buffer(struct sink *s, const u8 *p, const char *ext, const char *end, int len)
{
	static const char letters[] = "scnohp";	/* letters[i] stands for 1 << i, the ESC_ order */
	unsigned int how = 0;
	int i;

	for (ext++; ext < end; ext++) {
		if (*ext == 'a')
			how |= ESC_ANY;
		for (i = 0; letters[i]; i++)
			if (*ext == letters[i])
				how |= 1u << i;
	}
	if (!how)
		how = ESC_ANY | ESC_NP;
	for (i = 0; i < len; i++)
		put_escaped(s, p[i], how);
}

/* %*ph[CDN]: the field width is the byte count (1 if none, at most 64). */
static void put_hex_buffer(struct sink *s, const u8 *p, char variant, int len)
{
	char sep = variant == 'C' ? ':' : variant == 'D' ? '-' : variant == 'N' ? 0 : ' ';
	int i;

	if (len > HEX_BUFFER_MAX)
		len = HEX_BUFFER_MAX;
	for (i = 0; i < len; i++) {
		if (i && sep)
			put(s, sep);
		put_hex(s, p[i], 2);
	}
}

static bool bitmap_test(const unsigned long *bits, int bit)
{
	return (bits[bit / BITS_PER_LONG] >> (bit % BITS_PER_LONG)) & 1;
}

/*
 * %*pb: 32-bit chunks in hex, most significant first, separated by commas; the first chunk has
 * as many digits as its bits need. %*pbl: ranges of set bits ("0,3-6,8-10").
 */
static void put_bitmap(struct sink *s, const unsigned long *bits, int nbits, bool list)
{
	int bit, chunk, first = 1;

	if (list) {
		for (bit = 0; bit < nbits; bit++) {
			int last = bit;

			if (!bitmap_test(bits, bit))
				continue;
			while (last + 1 < nbits && bitmap_test(bits, last + 1))
				last++;
			if (!first)
				put(s, ',');
			first = 0;
			put_decimal(s, bit);
			if (last > bit) {
				put(s, '-');
				put_decimal(s, last);
			}
			bit = last;
		}
		return;
	}
	for (chunk = (nbits - 1) / 32; nbits > 0 && chunk >= 0; chunk--) {
		int width = nbits - 32 * chunk < 32 ? nbits - 32 * chunk : 32;
		u32 v = 0;

		for (bit = width - 1; bit >= 0; bit--)
			v = v << 1 | bitmap_test(bits, 32 * chunk + bit);
		if (!first)
			put(s, ',');
		put_hex(s, v, first ? (width + 3) / 4 : 8);
		first = 0;
	}
}

/* %pR / %pr: "[mem 0xfebf0000-0xfebfffff 64bit pref]", "[io  0xc000-0xc03f]", "[irq 11]". */
static void put_resource(struct sink *s, const struct resource *r, bool decode)
{
	unsigned long type = r->flags & IORESOURCE_TYPE_BITS;
	static const struct spec io_digits = { F_ALT, -1, 4 }, mem_digits = { F_ALT, -1, 8 };
	static const struct spec bus_digits = { 0, -1, 2 }, any_digits = { F_ALT, -1, -1 };
	const struct spec *digits = &any_digits;
	unsigned int base = 16;

	put(s, '[');
	switch (type) {
	case IORESOURCE_IO:
		put_str(s, "io  ");
		digits = &io_digits;
		break;
	case IORESOURCE_MEM:
		put_str(s, "mem ");
		digits = &mem_digits;
		break;
	case IORESOURCE_IRQ:
		put_str(s, "irq ");
		digits = &no_spec;
		base = 10;
		break;
	case IORESOURCE_DMA:
		put_str(s, "dma ");
		digits = &no_spec;
		base = 10;
		break;
	case IORESOURCE_BUS:
		put_str(s, "bus ");
		digits = &bus_digits;
		break;
	default:
		put_str(s, "??? ");
		break;
	}
	put_number(s, r->start, false, base, false, digits);
	if (r->end != r->start || type == IORESOURCE_IO || type == IORESOURCE_MEM) {
		put(s, '-');
		put_number(s, r->end, false, base, false, digits);
	}
	if (!decode) {
		put_str(s, " flags ");
		put_number(s, r->flags, false, 16, false, &any_digits);
	} else {
		if (type == IORESOURCE_MEM && (r->flags & IORESOURCE_MEM_64))
			put_str(s, " 64bit");
		if (r->flags & IORESOURCE_PREFETCH)
			put_str(s, " pref");
		if (r->flags & IORESOURCE_WINDOW)
			put_str(s, " window");
		if (r->flags & IORESOURCE_DISABLED)
			put_str(s, " disabled");
	}
	put(s, ']');
}

static void format(struct sink *s, const char *fmt, va_list args);

/* Plain %p, %px, %pK: the raw address, 16 zero-padded digits unless a width says otherwise. */
static void put_raw_pointer(struct sink *s, const void *p, const struct spec *sp)
{
	struct spec hex = *sp;

	hex.flags &= ~(F_PLUS | F_SPACE | F_ALT);
	if (hex.width < 0 && hex.precision < 0)
		hex.precision = 2 * sizeof(void *);
	put_number(s, (unsigned long)p, false, 16, false, &hex);
}

/*
 * The text of an extension that width pads as a whole; [ext, end) is the extension after "%p".
 * Returns false for extensions this file does not decode.
 */
static bool put_extension(struct sink *s, const char *ext, const char *end, const void *p)
{
	const char *bad;

	switch (ext[0]) {
	case 'S': case 's': case 'B': case 'F': case 'f':
		put_address(s, (unsigned long)p, sizeof(void *));
		return true;
	case 'e': {
		long err = PTR_ERR(p);
		const char *name = linuxshim_errname((int)err);

		if (name)
			put_str(s, name);
		else
			put_number(s, -(unsigned long long)err, true, 10, false, &no_spec);
		return true;
	}
	case 'M': case 'm': case 'I': case 'i': case 'a': case 'R': case 'r': case 'U': case 'N':
		break;
	default:
		return false;
	}
	if ((ext[0] == 'I' || ext[0] == 'i') && (ext + 1 >= end || (ext[1] != '4' && ext[1] != '6')))
		return false;	/* %pIS (struct sockaddr) is not decoded */
	if (ext[0] == 'N' && (ext + 1 >= end || ext[1] != 'F'))
		return false;
	bad = unreadable(p);
	if (bad) {
		put_str(s, bad);
		return true;
	}
	switch (ext[0]) {
	case 'M': case 'm':
		put_mac(s, p, ext, end);
		break;
	case 'I': case 'i':
		if (ext + 1 < end && ext[1] == '6')
			put_ip6(s, p, ext[0] == 'I', has_letter(ext + 2, end, 'c'));
		else
			put_ip4(s, p, ext[0] == 'i', ext + 2, end);
		break;
	case 'a':
		if (ext + 1 < end && ext[1] == 'd')
			put_address(s, *(const dma_addr_t *)p, sizeof(dma_addr_t));
		else
			put_address(s, *(const phys_addr_t *)p, sizeof(phys_addr_t));
		break;
	case 'R': case 'r':
		put_resource(s, p, ext[0] == 'R');
		break;
	case 'U':
		put_uuid(s, p, ext + 1 < end ? ext[1] : 'b');
		break;
	case 'N':
		put_address(s, *(const netdev_features_t *)p, sizeof(netdev_features_t));
		break;
	}
	return true;
}

/* A %p conversion; fmt points after the 'p'. Returns where the format continues. */
static const char *put_pointer(struct sink *s, const char *fmt, const void *p, const struct spec *sp)
{
	const char *end = fmt, *bad = unreadable(p);
	int width = sp->width < 0 ? 1 : sp->width;
	struct sink count = { NULL, 0, 0, SIZE_MAX };
	size_t saved;

	while (is_alnum(*end))
		end++;
	if (fmt == end)
		goto raw;

	/* Extensions whose field width is a length, and %pV, print without padding. */
	switch (fmt[0]) {
	case 'h':
		if (bad)
			put_str(s, bad);
		else
			put_hex_buffer(s, p, fmt + 1 < end ? fmt[1] : 0, width);
		return end;
	case 'E':
		if (bad)
			put_str(s, bad);
		else
			put_escaped_buffer(s, p, fmt, end, width);
		return end;
	case 'b':
		if (bad)
			put_str(s, bad);
		else
			put_bitmap(s, p, sp->width < 0 ? 0 : sp->width, has_letter(fmt + 1, end, 'l'));
		return end;
	case 'V':
		if (bad) {
			put_str(s, bad);
		} else {
			const struct va_format *vf = p;
			va_list va;

			va_copy(va, *vf->va);
			format(s, vf->fmt, va);
			va_end(va);
		}
		return end;
	case 'e':
		if (!IS_ERR(p))
			goto raw;
		break;
	}

	/* The rest is padded to the width as a whole and cut at the precision, like a string. */
	if (sp->precision >= 0)
		count.budget = sp->precision;
	if (!put_extension(&count, fmt, end, p))
		goto raw;
	put_padding(s, sp, count.len, false);
	saved = s->budget;
	s->budget = sp->precision >= 0 ? (size_t)sp->precision : saved;
	put_extension(s, fmt, end, p);
	s->budget = saved;
	put_padding(s, sp, count.len, true);
	return end;
raw:
	put_raw_pointer(s, p, sp);
	return end;
}

enum length { LEN_INT, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_T, LEN_J };

static int parse_number(const char **fmt)
{
	int n = 0;

	while (**fmt >= '0' && **fmt <= '9') {
		if (n < FIELD_MAX)
			n = n * 10 + (**fmt - '0');
		(*fmt)++;
	}
	return n < FIELD_MAX ? n : FIELD_MAX;
}

static void format(struct sink *s, const char *fmt, va_list args)
{
	while (*fmt) {
		struct spec sp = { 0, -1, -1 };
		enum length len = LEN_INT;
		unsigned long long u;
		long long v;
		bool more = true;

		if (*fmt != '%') {
			put(s, *fmt++);
			continue;
		}
		fmt++;

		while (more) {
			switch (*fmt) {
			case '-': sp.flags |= F_LEFT; break;
			case '+': sp.flags |= F_PLUS; break;
			case ' ': sp.flags |= F_SPACE; break;
			case '#': sp.flags |= F_ALT; break;
			case '0': sp.flags |= F_ZERO; break;
			default: more = false; continue;
			}
			fmt++;
		}
		if (*fmt == '*') {
			int w = va_arg(args, int);

			fmt++;
			if (w < 0) {
				sp.flags |= F_LEFT;
				w = w < -FIELD_MAX ? FIELD_MAX : -w;
			}
			sp.width = w < FIELD_MAX ? w : FIELD_MAX;
		} else if (*fmt >= '0' && *fmt <= '9') {
			sp.width = parse_number(&fmt);
		}
		if (*fmt == '.') {
			fmt++;
			if (*fmt == '*') {
				int p = va_arg(args, int);

				fmt++;
				sp.precision = p < 0 ? -1 : p < FIELD_MAX ? p : FIELD_MAX;
			} else {
				sp.precision = parse_number(&fmt);
			}
		}
		switch (*fmt) {
		case 'h':
			len = fmt[1] == 'h' ? LEN_HH : LEN_H;
			fmt += len == LEN_HH ? 2 : 1;
			break;
		case 'l':
			len = fmt[1] == 'l' ? LEN_LL : LEN_L;
			fmt += len == LEN_LL ? 2 : 1;
			break;
		case 'L': case 'q': len = LEN_LL; fmt++; break;
		case 'z': case 'Z': len = LEN_Z; fmt++; break;
		case 't': len = LEN_T; fmt++; break;
		case 'j': len = LEN_J; fmt++; break;
		}

		switch (*fmt++) {
		case '%':
			put(s, '%');
			break;
		case 'c':
			put_padding(s, &sp, 1, false);
			put(s, (char)va_arg(args, int));
			put_padding(s, &sp, 1, true);
			break;
		case 's': {
			const char *str = va_arg(args, const char *);
			const char *bad = unreadable(str);

			put_string(s, bad ? bad : str, &sp);
			break;
		}
		case 'p':
			fmt = put_pointer(s, fmt, va_arg(args, void *), &sp);
			break;
		case 'n':
			(void)va_arg(args, void *);	/* never written: the kernel has no %n */
			break;
		case 'd': case 'i':
			switch (len) {
			case LEN_HH: v = (signed char)va_arg(args, int); break;
			case LEN_H: v = (short)va_arg(args, int); break;
			case LEN_L: v = va_arg(args, long); break;
			case LEN_LL: v = va_arg(args, long long); break;
			case LEN_Z: v = va_arg(args, ssize_t); break;
			case LEN_T: v = va_arg(args, ptrdiff_t); break;
			case LEN_J: v = va_arg(args, __INTMAX_TYPE__); break;
			default: v = va_arg(args, int); break;
			}
			put_number(s, v < 0 ? -(unsigned long long)v : (unsigned long long)v, v < 0, 10, false, &sp);
			break;
		case 'u': case 'o': case 'x': case 'X': {
			char conv = fmt[-1];
			struct spec us = sp;

			switch (len) {
			case LEN_HH: u = (unsigned char)va_arg(args, unsigned int); break;
			case LEN_H: u = (unsigned short)va_arg(args, unsigned int); break;
			case LEN_L: u = va_arg(args, unsigned long); break;
			case LEN_LL: u = va_arg(args, unsigned long long); break;
			case LEN_Z: u = va_arg(args, size_t); break;
			case LEN_T: u = (unsigned long)va_arg(args, ptrdiff_t); break;
			case LEN_J: u = va_arg(args, __UINTMAX_TYPE__); break;
			default: u = va_arg(args, unsigned int); break;
			}
			us.flags &= ~(F_PLUS | F_SPACE);	/* signs belong to signed conversions */
			put_number(s, u, false, conv == 'u' ? 10 : conv == 'o' ? 8 : 16, conv == 'X', &us);
			break;
		}
		default:
			/* Unsupported (%f, %e, a stray '%' at the end...): stop, as the kernel does. */
			return;
		}
	}
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list args)
{
	struct sink s = { buf, size ? size - 1 : 0, 0, SIZE_MAX };

	/* The kernel refuses sizes that cannot be an int (a negative length cast to size_t). */
	if (size > INT_MAX)
		return 0;
	format(&s, fmt, args);
	if (size)
		buf[s.len < s.cap ? s.len : s.cap] = '\0';
	return (int)s.len;
}
SHIM_SYMBOL(vsnprintf)

/* Like vsnprintf, but returns what was written to buf (without the NUL), not what would have been. */
int vscnprintf(char *buf, size_t size, const char *fmt, va_list args)
{
	int n = vsnprintf(buf, size, fmt, args);

	if ((size_t)n < size)
		return n;
	return size ? (int)(size - 1) : 0;
}
SHIM_SYMBOL(vscnprintf)

int vsprintf(char *buf, const char *fmt, va_list args)
{
	return vsnprintf(buf, INT_MAX, fmt, args);
}
SHIM_SYMBOL(vsprintf)

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list args;
	int n;

	va_start(args, fmt);
	n = vsnprintf(buf, size, fmt, args);
	va_end(args);
	return n;
}
SHIM_SYMBOL(snprintf)

int scnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list args;
	int n;

	va_start(args, fmt);
	n = vscnprintf(buf, size, fmt, args);
	va_end(args);
	return n;
}
SHIM_SYMBOL(scnprintf)

int sprintf(char *buf, const char *fmt, ...)
{
	va_list args;
	int n;

	va_start(args, fmt);
	n = vsnprintf(buf, INT_MAX, fmt, args);
	va_end(args);
	return n;
}
SHIM_SYMBOL(sprintf)
