# Copying to or from user memory, the one piece of kernel code allowed to
# fault on an address it was given.
#   extern "C" long user_memcpy(void* dst, const void* src, size_t n);
#       0 when copied, -1 when a page fault or access fault stopped it
# SUM is set only between the first and last instruction here. A fault whose
# sepc lies in [user_memcpy, user_memcpy_end) is sent by trap_dispatch to
# user_memcpy_fault, which clears SUM and returns -1: no register saving, no
# setjmp, nothing on the fast path but the copy itself. The caller has
# already checked that the user range lies inside user space.

#include <arch/asm_constants.h>

.section .text
.balign 4
.globl user_memcpy
user_memcpy:
    li      t0, ASM_SSTATUS_SUM
    csrs    sstatus, t0
    or      t1, a0, a1
    or      t1, t1, a2
    andi    t1, t1, 7
    bnez    t1, 2f
1:  beqz    a2, 3f                     # 8-byte words when all three are aligned
    ld      t2, 0(a1)
    sd      t2, 0(a0)
    addi    a0, a0, 8
    addi    a1, a1, 8
    addi    a2, a2, -8
    j       1b
2:  beqz    a2, 3f                     # otherwise bytes
    lb      t2, 0(a1)
    sb      t2, 0(a0)
    addi    a0, a0, 1
    addi    a1, a1, 1
    addi    a2, a2, -1
    j       2b
3:  csrc    sstatus, t0
    li      a0, 0
    ret

# extern "C" long user_probe_write(void* p);
#       0 when the (4-byte aligned) word at p may be written, -1 when not.
#       An atomic OR with zero: the word is left as it was, even if another
#       hart writes it meanwhile.
.globl user_probe_write
user_probe_write:
    li      t0, ASM_SSTATUS_SUM
    csrs    sstatus, t0
    amoor.w zero, zero, (a0)
    csrc    sstatus, t0
    li      a0, 0
    ret
.globl user_memcpy_fault
user_memcpy_fault:
    li      t0, ASM_SSTATUS_SUM
    csrc    sstatus, t0
    li      a0, -1
    ret
.globl user_memcpy_end
user_memcpy_end:
