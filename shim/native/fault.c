/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Fault reporter. When the driver faults (SIGSEGV, SIGBUS, SIGILL, SIGFPE) at an instruction inside
 * this library, one line goes to standard error naming the signal, the address and the faulting
 * instruction's offset in the library ("linuxshim-host: fault SIGSEGV at 0x0 in driver+0x1a2b"), and
 * the signal then ends the host as it would have; the supervisor turns the offset into a function
 * name from the library's symbol table. One sent by another process (kill -SEGV) ends the host too.
 * A fault anywhere else goes to the handler that was there before (the .NET runtime's, which turns
 * managed faults into exceptions). The library has no libc:
 * raw system calls, and a signal frame restorer of its own.
 */
#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/kernel.h>
#include <linux/stringify.h>
#include "shim.h"

struct ls_sigaction {
	void *handler;
	unsigned long flags;
	void (*restorer)(void);
	unsigned long mask;
};

#define LS_SA_SIGINFO	0x00000004UL
#define LS_SA_ONSTACK	0x08000000UL
#define LS_SA_RESTORER	0x04000000UL
#define LS_NR_WRITE		1
#define LS_NR_RT_SIGACTION	13
#define LS_NR_RT_SIGRETURN	15
#define LS_NR_GETPID		39
#define LS_NR_GETTID		186
#define LS_NR_TGKILL		234
/* struct ucontext: uc_flags, uc_link, uc_stack (24 bytes), then mcontext gregs; REG_RIP is gregs[16]. */
#define LS_UC_RIP_OFFSET	(8 + 8 + 24 + 16 * 8)
/* siginfo_t: si_signo, si_errno, si_code, padding, then si_addr. */
#define LS_SI_CODE_OFFSET	8
#define LS_SI_ADDR_OFFSET	16

static struct ls_sigaction linuxshim_previous[32];
static unsigned long linuxshim_image_start, linuxshim_image_end;

static long ls_syscall4(long nr, long a, long b, long c, long d)
{
	long ret;
	register long r10 asm("r10") = d;

	asm volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
	return ret;
}

void linuxshim_sigreturn(void);
asm(".text\n"
    ".align 16\n"
    ".type linuxshim_sigreturn, @function\n"
    "linuxshim_sigreturn:\n"
    "\tmovq $" __stringify(LS_NR_RT_SIGRETURN) ", %rax\n"
    "\tsyscall\n"
    ".size linuxshim_sigreturn, .-linuxshim_sigreturn\n");

static char *ls_append(char *p, const char *s)
{
	while (*s)
		*p++ = *s++;
	return p;
}

static char *ls_hex(char *p, unsigned long v)
{
	char digits[16];
	int n = 0;

	*p++ = '0';
	*p++ = 'x';
	do {
		digits[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	while (n)
		*p++ = digits[--n];
	return p;
}

static const char *ls_signal_name(int sig)
{
	switch (sig) {
	case 4: return "SIGILL";
	case 7: return "SIGBUS";
	case 8: return "SIGFPE";
	default: return "SIGSEGV";
	}
}

static void linuxshim_fault(int sig, void *info, void *uc)
{
	unsigned long ip = *(unsigned long *)((char *)uc + LS_UC_RIP_OFFSET);
	struct ls_sigaction *prev = &linuxshim_previous[sig & 31];

	if (ip >= linuxshim_image_start && ip < linuxshim_image_end) {
		char line[160], *p = line;
		struct ls_sigaction dfl = { 0 };

		p = ls_append(p, "linuxshim-host: fault ");
		p = ls_append(p, ls_signal_name(sig));
		p = ls_append(p, " at ");
		p = ls_hex(p, *(unsigned long *)((char *)info + LS_SI_ADDR_OFFSET));
		p = ls_append(p, " in driver+");
		p = ls_hex(p, ip - linuxshim_image_start);
		*p++ = '\n';
		ls_syscall4(LS_NR_WRITE, 2, (long)line, p - line, 0);
		/* Back to the default action: returning re-runs the instruction, and the signal ends us. */
		ls_syscall4(LS_NR_RT_SIGACTION, sig, (long)&dfl, 0, 8);
		return;
	}
	if (*(int *)((char *)info + LS_SI_CODE_OFFSET) <= 0) {
		/*
		 * Sent by kill() or tgkill() (SI_USER, SI_TKILL), not raised by an instruction: the signal's default
		 * action ends the host, as it ends any process. (.NET's handler would restart the instruction that
		 * was interrupted, which does not fault again, and the host would go on.) Pending until we return.
		 */
		struct ls_sigaction dfl = { 0 };

		ls_syscall4(LS_NR_RT_SIGACTION, sig, (long)&dfl, 0, 8);
		ls_syscall4(LS_NR_TGKILL, ls_syscall4(LS_NR_GETPID, 0, 0, 0, 0), ls_syscall4(LS_NR_GETTID, 0, 0, 0, 0), sig, 0);
		return;
	}
	if (prev->flags & LS_SA_SIGINFO) {
		((void (*)(int, void *, void *))prev->handler)(sig, info, uc);
	} else if (prev->handler == (void *)0) {
		struct ls_sigaction dfl = { 0 };

		ls_syscall4(LS_NR_RT_SIGACTION, sig, (long)&dfl, 0, 8);
	} else if (prev->handler != (void *)1) {
		((void (*)(int))prev->handler)(sig);
	}
}

/*
 * Called by the host once the library is loaded, before any driver code runs, with where the
 * library is mapped (its load address, at which its ELF virtual address 0 lies, and its end).
 */
void linuxshim_fault_reporter_install(unsigned long start, unsigned long end)
{
	static const int signals[] = { 4, 7, 8, 11 };
	unsigned int i;

	linuxshim_image_start = start;
	linuxshim_image_end = end;
	for (i = 0; i < ARRAY_SIZE(signals); i++) {
		struct ls_sigaction sa = {
			.handler = linuxshim_fault,
			.flags = LS_SA_SIGINFO | LS_SA_ONSTACK | LS_SA_RESTORER,
			.restorer = linuxshim_sigreturn,
			.mask = 0,
		};

		ls_syscall4(LS_NR_RT_SIGACTION, signals[i], (long)&sa, (long)&linuxshim_previous[signals[i]], 8);
	}
}
