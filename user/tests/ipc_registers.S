# ipc_register_probe: one register IPC call with every register the caller
# controls set to a known pattern, and every register as the call left it.
#   extern "C" int64_t ipc_register_probe(uint64_t out[32], uint64_t handle,
#                                         uint64_t number, uint64_t bytes,
#                                         uint64_t unknown, uint64_t salt);
# Register n is set to PATTERN(n) + (salt << 40) (ra, t0..t6, s0..s11; a1..a4,
# the message words, too: tasks with different salts tell whose values a
# register holds), first through the syscall `unknown` (a number the kernel
# does not know: it saves the task's registers in its frame and returns
# ERR_UNSUPPORTED), so that registers "as this task last left them" are the
# patterns; then the call `number` on `handle` with a5 = bytes, a6 = no
# timeout. out[n] = xn after it (out[0] and out[2], sp, hold stack bytes);
# returns its a0. gp and tp are left as they are.

#define PATTERN(n) (0x5eed000000000000 + (n) * 0x101)
#define FRAME 400

.section .text
.balign 4
.globl ipc_register_probe
ipc_register_probe:
    addi    sp, sp, -FRAME
    sd      ra, 256(sp)
    sd      s0, 264(sp)
    .irp n, 1,2,3,4,5,6,7,8,9,10,11
    sd      s\n, (264 + 8 * \n)(sp)
    .endr
    sd      a0, 360(sp)                # out
    sd      a1, 368(sp)                # handle
    sd      a2, 376(sp)                # number
    sd      a3, 384(sp)                # bytes
    mv      a7, a4                     # the unknown syscall first
    slli    a6, a5, 40                 # kept by it, like every register
    .irp n, 1,5,6,7,8,9,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    li      x\n, PATTERN(\n)
    add     x\n, x\n, a6
    .endr
    ecall
    .irp n, 11,12,13,14
    li      x\n, PATTERN(\n)
    add     x\n, x\n, a6
    .endr
    ld      a0, 368(sp)
    ld      a7, 376(sp)
    ld      a5, 384(sp)
    li      a6, -1
    ecall
    sd      x1, 8(sp)
    .irp n, 3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    sd      x\n, (8 * \n)(sp)
    .endr
    ld      t0, 360(sp)
    li      t1, 0
    li      t4, 256
1:  add     t2, sp, t1
    ld      t3, 0(t2)
    add     t2, t0, t1
    sd      t3, 0(t2)
    addi    t1, t1, 8
    bltu    t1, t4, 1b
    ld      a0, 80(sp)                 # the call's a0
    ld      ra, 256(sp)
    ld      s0, 264(sp)
    .irp n, 1,2,3,4,5,6,7,8,9,10,11
    ld      s\n, (264 + 8 * \n)(sp)
    .endr
    addi    sp, sp, FRAME
    ret
