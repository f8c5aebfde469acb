/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A hostile test module for the LinuxShim sandbox (tests only, written here). Its init makes raw
 * system calls with the syscall instruction, as a driver that bypasses the shim would: open and
 * openat of /etc/passwd, socket(AF_INET), execve("/bin/sh"), ptrace(PTRACE_ATTACH, 1) and mmap of
 * a descriptor it was never given. It prints one "hostile: NAME = RESULT" line per attempt; under
 * the sandbox every result must be -EPERM. getpid, which the sandbox allows, shows the calls run.
 */
#include <linux/module.h>
#include <linux/kernel.h>

/* x86-64 system call numbers (arch/x86/entry/syscalls/syscall_64.tbl). */
#define NR_mmap		9
#define NR_open		2
#define NR_getpid	39
#define NR_socket	41
#define NR_execve	59
#define NR_ptrace	101
#define NR_openat	257

static long raw_syscall(long nr, long a, long b, long c, long d, long e, long f)
{
	long ret;
	register long r10 asm("r10") = d;
	register long r8 asm("r8") = e;
	register long r9 asm("r9") = f;

	asm volatile("syscall"
		     : "=a"(ret)
		     : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
		     : "rcx", "r11", "memory");
	return ret;
}

static const char passwd[] = "/etc/passwd";
static const char sh[] = "/bin/sh";

static int __init hostile_init(void)
{
	const char *argv[] = { sh, NULL };
	long r;
	int fd;

	pr_info("hostile: getpid = %ld\n", raw_syscall(NR_getpid, 0, 0, 0, 0, 0, 0));
	pr_info("hostile: open = %ld\n", raw_syscall(NR_open, (long)passwd, 0 /* O_RDONLY */, 0, 0, 0, 0));
	pr_info("hostile: openat = %ld\n", raw_syscall(NR_openat, -100 /* AT_FDCWD */, (long)passwd, 0, 0, 0, 0));
	pr_info("hostile: socket = %ld\n", raw_syscall(NR_socket, 2 /* AF_INET */, 1 /* SOCK_STREAM */, 0, 0, 0, 0));
	pr_info("hostile: execve = %ld\n", raw_syscall(NR_execve, (long)sh, (long)argv, 0, 0, 0, 0));
	pr_info("hostile: ptrace = %ld\n", raw_syscall(NR_ptrace, 16 /* PTRACE_ATTACH */, 1, 0, 0, 0, 0));
	/* The first descriptor above stdio that mmap does not call bad: one the host holds, never granted to the driver. */
	for (fd = 3, r = -9; fd <= 64 && r == -9 /* EBADF */; fd++)
		r = raw_syscall(NR_mmap, 0, 4096, 1 /* PROT_READ */, 1 /* MAP_SHARED */, fd, 0);
	pr_info("hostile: mmap fd %d = %ld\n", fd - 1, r < 0 && r > -4096 ? r : 0);
	pr_info("hostile: done\n");
	return 0;
}

static void __exit hostile_exit(void)
{
	pr_info("hostile: exit\n");
}

module_init(hostile_init);
module_exit(hostile_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("LinuxShim sandbox test module: raw system calls a driver must not make");
