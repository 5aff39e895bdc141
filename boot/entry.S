# Boot entry: the first kernel code, jumped to by OpenSBI in S-mode.
#   void _start(uint64_t hartid /* a0 */, uintptr_t dtb_pa /* a1 */)  [noreturn]
# Runs with the MMU off at the physical load address. The first hart to arrive
# wins the lottery; any other hart parks in wfi (secondary harts are started
# later through SBI HSM at their own entry). The winner turns on a boot page
# table of 1 GiB pages (identity for this code, the direct map, the kernel
# image), jumps to the linked high address, clears .bss and calls
#   extern "C" [[noreturn]] void kmain(uint64_t hartid, uintptr_t dtb_pa);
# kmain replaces the boot page table with one that has real permissions.

#define PTE_FLAGS 0xef      /* V R W X G A D: temporary, replaced in kmain */
#define SATP_SV39 (8 << 60)

.section .text.boot, "ax"
.globl _start
_start:
    lla     t0, boot_lottery
    li      t1, 1
    amoswap.w t1, t1, (t0)
    bnez    t1, park

    lla     t0, boot_page_table        # physical: we run at the load address
    srli    t0, t0, 12
    li      t1, SATP_SV39
    or      t0, t0, t1
    sfence.vma
    csrw    satp, t0
    sfence.vma
    ld      t0, high_entry_addr        # absolute, linked in the top 2 GiB
    jr      t0

# A hart that loses the lottery may be one the kernel is starting through
# HSM which the firmware sent here rather than to secondary_entry (OpenSBI
# 1.1's hart_start publishes the hart's new state before its jump address, so
# a hart that looks in between jumps to the stale one, this _start, with a1
# stale). cpu_start fills in secondary_starts[] (cpu.cpp) before calling
# hart_start: a slot with this hartid (a0) gives the start block, and the
# hart goes on as if it had been started at secondary_entry.
park:
    fence   rw, rw
    lla     t0, secondary_starts       # { hartid, block_pa } x MAX_CPUS
    li      t1, 8                      # MAX_CPUS (arch/cpu.h)
1:  ld      t2, 8(t0)
    beqz    t2, 2f
    ld      t3, 0(t0)
    bne     t3, a0, 2f
    mv      a1, t2
    j       secondary_entry
2:  addi    t0, t0, 16
    addi    t1, t1, -1
    bnez    t1, 1b
3:  wfi
    j       3b

# A secondary hart, started by cpu_start through SBI HSM:
#   a0 = hartid, a1 = physical address of its SecondaryBoot block
#   { satp, sp, tp, entry } (cpu.cpp). MMU off, at the load address. It takes
# the boot page table only to reach the high half, then the kernel's.
# The boot hart hands the whole boot to another hart (bootarg boothart=N,
# to test booting on any hart id): that hart starts at handover_entry with
# a0 = its hartid, a1 = the device tree, and boots from scratch (.bss is
# cleared again) as if it had won the lottery.
.globl handover_entry
handover_entry:
    lla     t0, boot_page_table
    srli    t0, t0, 12
    li      t1, SATP_SV39
    or      t0, t0, t1
    sfence.vma
    csrw    satp, t0
    sfence.vma
    ld      t0, high_entry_addr
    jr      t0

# void hand_over_and_stop(uint64_t hartid, uintptr_t entry_pa, uint64_t opaque)
# HSM hart_start, then HSM hart_stop for this hart, touching no memory in
# between (the new hart takes over the boot stack at once).
.globl hand_over_and_stop
hand_over_and_stop:
    li      a7, 0x48534D
    li      a6, 0                      # HART_START
    ecall
    li      a7, 0x48534D
    li      a6, 1                      # HART_STOP
    ecall
1:  wfi
    j       1b

.globl secondary_entry
secondary_entry:
    lla     t0, boot_page_table
    srli    t0, t0, 12
    li      t1, SATP_SV39
    or      t0, t0, t1
    sfence.vma
    csrw    satp, t0
    sfence.vma
    ld      t0, secondary_high_addr
    jr      t0

.balign 8
high_entry_addr:
    .dword  high_entry
secondary_high_addr:
    .dword  secondary_high

.section .text
high_entry:
    lla     sp, __boot_stack_top
    li      fp, 0                      # ends frame-pointer backtraces
    csrw    sscratch, zero             # 0 means "trap came from the kernel"
    lla     t0, __bss_start
    lla     t1, __bss_end
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       1b
2:  call    kmain
3:  wfi
    j       3b

secondary_high:
    li      t0, 0xffffffc000000000     # DIRECT_MAP_BASE: the block through the direct map
    add     a1, a1, t0
    ld      t1, 0(a1)                  # the kernel's satp
    sfence.vma
    csrw    satp, t1
    sfence.vma
    ld      sp, 8(a1)
    ld      tp, 16(a1)
    ld      t2, 24(a1)
    li      fp, 0
    li      ra, 0
    csrw    sscratch, zero
    jr      t2

.section .data
.balign 4
boot_lottery:
    .word   0

# Boot page table, all 1 GiB leaf pages. Entry i maps virtual GiB i of its half.
#   [2]       0x8000_0000 -> 0x8000_0000   identity, only for the jump above
#   [256+k]   direct map: 0xffff_ffc0_0000_0000 + k GiB -> k GiB, k = 0..15
#   [510]     0xffff_ffff_8000_0000 -> 0x8000_0000   kernel image
.balign 4096
boot_page_table:
    .dword 0, 0
    .dword (0x80000 << 10) | PTE_FLAGS
    .fill 253, 8, 0
    .set k, 0
    .rept 16
    .dword ((k * 0x40000) << 10) | PTE_FLAGS
    .set k, k + 1
    .endr
    .fill 238, 8, 0
    .dword (0x80000 << 10) | PTE_FLAGS
    .dword 0
