/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Memory and string functions. Native because they run on the data path for a handful of bytes at
 * a time: a crossing into managed code would cost more than the work.
 */
#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/errno.h>
#include "shim.h"

#undef memcpy
#undef memset
#undef memmove
#undef memcmp
#undef strlen
#undef strnlen
#undef strcmp
#undef strncmp
#undef strchr
#undef strncpy
#undef strcpy

void *memcpy(void *dest, const void *src, size_t n)
{
	void *ret = dest;

	asm volatile("rep movsb" : "+D"(dest), "+S"(src), "+c"(n) : : "memory");
	return ret;
}
SHIM_SYMBOL(memcpy)

void *memset(void *s, int c, size_t n)
{
	void *ret = s;

	asm volatile("rep stosb" : "+D"(s), "+c"(n) : "a"(c) : "memory");
	return ret;
}
SHIM_SYMBOL(memset)

void *memmove(void *dest, const void *src, size_t n)
{
	unsigned char *d = dest;
	const unsigned char *s = src;

	if (d <= s || d >= s + n)
		return memcpy(dest, src, n);
	while (n--)
		d[n] = s[n];
	return dest;
}
SHIM_SYMBOL(memmove)

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x < *y ? -1 : 1;
	return 0;
}
SHIM_SYMBOL(memcmp)

size_t strlen(const char *s)
{
	const char *p = s;

	while (*p)
		p++;
	return p - s;
}
SHIM_SYMBOL(strlen)

size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}
SHIM_SYMBOL(strnlen)

int strcmp(const char *a, const char *b)
{
	for (; *a && *a == *b; a++, b++)
		;
	return (unsigned char)*a < (unsigned char)*b ? -1 : (unsigned char)*a > (unsigned char)*b;
}
SHIM_SYMBOL(strcmp)

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n && *a && *a == *b; n--, a++, b++)
		;
	if (!n)
		return 0;
	return (unsigned char)*a < (unsigned char)*b ? -1 : (unsigned char)*a > (unsigned char)*b;
}
SHIM_SYMBOL(strncmp)

char *strchr(const char *s, int c)
{
	for (; *s != (char)c; s++)
		if (!*s)
			return NULL;
	return (char *)s;
}
SHIM_SYMBOL(strchr)

/* Copies at most n bytes and pads with NULs up to n, as C does (no terminator if src is long). */
char *strncpy(char *dest, const char *src, size_t n)
{
	size_t i = 0;

	for (; i < n && src[i]; i++)
		dest[i] = src[i];
	for (; i < n; i++)
		dest[i] = '\0';
	return dest;
}
SHIM_SYMBOL(strncpy)

char *strcpy(char *dest, const char *src)
{
	char *d = dest;

	while ((*d++ = *src++))
		;
	return dest;
}
SHIM_SYMBOL(strcpy)

/* Copies a NUL-terminated string into a buffer of size bytes: the length copied, or -E2BIG if truncated. */
ssize_t strscpy(char *dest, const char *src, size_t size)
{
	size_t i;

	if (size == 0)
		return -E2BIG;
	for (i = 0; i < size; i++) {
		dest[i] = src[i];
		if (!src[i])
			return i;
	}
	dest[size - 1] = '\0';
	return -E2BIG;
}
SHIM_SYMBOL(strscpy)
/* 6.8 renamed it: strscpy() became a macro that passes sizeof(dst) when it can (include/linux/string.h). */
ssize_t sized_strscpy(char *dest, const char *src, size_t size) __alias(strscpy);
SHIM_SYMBOL(sized_strscpy)
