/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sscanf()/vsscanf() (lib/vsprintf.c): variadic, so native. The conversions drivers use: %d %i %u %x %X
 * %o with the hh, h, l, ll, z length modifiers, %s, %c and %n, field widths and '*' suppression; white
 * space in the format matches any amount of it. A conversion outside that set (%[…], %p…) ends the
 * driver with a report rather than being misread.
 */
#include <linux/kernel.h>
#include <linux/limits.h>
#include "shim.h"

/* Plain ASCII classes: <linux/ctype.h> would need the kernel's _ctype table. */
static bool sc_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
static bool sc_digit(char c) { return c >= '0' && c <= '9'; }
static int sc_value(char c)
{
	if (sc_digit(c))
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}
static const char *sc_skip(const char *s)
{
	while (sc_space(*s))
		s++;
	return s;
}

static void linuxshim_store(void *p, char size, unsigned long long v)
{
	switch (size) {
	case 'H': *(unsigned char *)p = v; break;
	case 'h': *(unsigned short *)p = v; break;
	case 'l': *(unsigned long *)p = v; break;
	case 'L': *(unsigned long long *)p = v; break;
	case 'z': *(size_t *)p = v; break;
	default: *(unsigned int *)p = v; break;
	}
}

int vsscanf(const char *buf, const char *fmt, va_list args)
{
	const char *str = buf;
	int num = 0;

	while (*fmt) {
		bool skip = false;
		int width = -1, base = 10;
		bool is_signed = false, negative = false;
		char size = 0;
		unsigned long long v = 0;
		const char *start;

		if (sc_space(*fmt)) {
			fmt = sc_skip(++fmt);
			str = sc_skip(str);
			continue;
		}
		if (*fmt != '%' || fmt[1] == '%') {
			if (*fmt == '%')
				fmt++;
			if (*fmt++ != *str++)
				break;
			continue;
		}
		fmt++;
		if (*fmt == '*') {
			skip = true;
			fmt++;
		}
		if (sc_digit(*fmt)) {
			width = 0;
			while (sc_digit(*fmt))
				width = width * 10 + (*fmt++ - '0');
		}
		if (*fmt == 'h' || *fmt == 'l' || *fmt == 'z') {
			size = *fmt++;
			if (size == 'h' && *fmt == 'h') { size = 'H'; fmt++; }
			else if (size == 'l' && *fmt == 'l') { size = 'L'; fmt++; }
		}
		if (!*fmt)
			break;
		if (*fmt == 'n') {
			if (!skip)
				*va_arg(args, int *) = str - buf;
			fmt++;
			continue;
		}
		if (!*str)
			break;
		switch (*fmt++) {
		case 'c':
			if (width < 0)
				width = 1;
			if (skip) {
				while (width-- > 0 && *str)
					str++;
			} else {
				char *c = va_arg(args, char *);

				while (width-- > 0 && *str)
					*c++ = *str++;
				num++;
			}
			continue;
		case 's': {
			char *s = skip ? NULL : va_arg(args, char *);

			if (width < 0)
				width = SHRT_MAX;
			str = sc_skip(str);
			while (*str && !sc_space(*str) && width-- > 0) {
				if (s)
					*s++ = *str;
				str++;
			}
			if (s) {
				*s = '\0';
				num++;
			}
			continue;
		}
		case 'o': base = 8; break;
		case 'x': case 'X': base = 16; break;
		case 'i': base = 0; is_signed = true; break;
		case 'd': is_signed = true; break;
		case 'u': break;
		default:
			linuxshim_host_panic("sscanf: a conversion the shim does not implement", __builtin_return_address(0), __builtin_frame_address(0));
		}
		str = sc_skip(str);
		start = str;
		if (is_signed && *str == '-' && width != 1) {
			negative = true;
			str++;
			width--;
		}
		if (base == 0)
			base = str[0] == '0' ? ((str[1] == 'x' || str[1] == 'X') && sc_value(str[2]) >= 0 ? 16 : 8) : 10;
		if (base == 16 && str[0] == '0' && (str[1] == 'x' || str[1] == 'X') && width != 1 && width != 2)
			{ str += 2; width -= 2; }
		{
			const char *digits = str;

			while (*str && width-- != 0) {
				int d = sc_value(*str);

				if (d < 0 || d >= base)
					break;
				v = v * base + d;
				str++;
			}
			if (str == digits) {
				str = start;
				break;
			}
		}
		if (!skip) {
			linuxshim_store(va_arg(args, void *), size, negative ? -v : v);
			num++;
		}
	}
	return num;
}
SHIM_SYMBOL(vsscanf)

int sscanf(const char *buf, const char *fmt, ...)
{
	va_list args;
	int i;

	va_start(args, fmt);
	i = vsscanf(buf, fmt, args);
	va_end(args);
	return i;
}
SHIM_SYMBOL(sscanf)
