/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Native side of lib/hweight.c: the software population counts. On x86-64 hweight32()/hweight64() are
 * inline asm that calls __sw_hweight32/__sw_hweight64 with the argument in %rdi and the result in %rax and
 * tells the compiler nothing else changes (asm/arch_hweight.h; the kernel patches the call into popcnt at
 * boot, which nothing does for a driver .so). So they are written in assembly that touches no register
 * but %rax, %rdi and %rdx, and saves those two; the count is the usual SWAR reduction of bit pairs,
 * nibbles and bytes.
 */
#include <linux/bitops.h>
#include "shim.h"

asm(".pushsection .text\n"
    ".globl __sw_hweight64\n.type __sw_hweight64, @function\n"
    "__sw_hweight64:\n"
    "\tpushq %rdi\n"
    "\tpushq %rdx\n"
    "\tmovq %rdi, %rax\n"
    "\tshrq $1, %rax\n"
    "\tmovabsq $0x5555555555555555, %rdx\n"
    "\tandq %rdx, %rax\n"
    "\tsubq %rax, %rdi\n"          /* each bit pair holds its count */
    "\tmovabsq $0x3333333333333333, %rdx\n"
    "\tmovq %rdi, %rax\n"
    "\tandq %rdx, %rax\n"
    "\tshrq $2, %rdi\n"
    "\tandq %rdx, %rdi\n"
    "\taddq %rdi, %rax\n"          /* each nibble */
    "\tmovq %rax, %rdi\n"
    "\tshrq $4, %rdi\n"
    "\taddq %rdi, %rax\n"
    "\tmovabsq $0x0f0f0f0f0f0f0f0f, %rdx\n"
    "\tandq %rdx, %rax\n"          /* each byte */
    "\tmovabsq $0x0101010101010101, %rdx\n"
    "\timulq %rdx, %rax\n"         /* the sum of the bytes in the top byte */
    "\tshrq $56, %rax\n"
    "\tpopq %rdx\n"
    "\tpopq %rdi\n"
    "\tret\n"
    ".size __sw_hweight64, .-__sw_hweight64\n"
    ".globl __sw_hweight32\n.type __sw_hweight32, @function\n"
    "__sw_hweight32:\n"
    "\tpushq %rdi\n"
    "\tmovl %edi, %edi\n"          /* the upper half is not the argument's */
    "\tcall __sw_hweight64\n"
    "\tpopq %rdi\n"
    "\tret\n"
    ".size __sw_hweight32, .-__sw_hweight32\n"
    ".popsection\n");
SHIM_SYMBOL(__sw_hweight64)
SHIM_SYMBOL(__sw_hweight32)
