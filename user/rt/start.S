# First user instruction of every program.
#   a0 = argc, a1 = argv, a2 = handle values, a3 = their count (see keel_spawn_args)
#   extern "C" [[noreturn]] void keel_start(int argc, char** argv, keel_handle_t* handles, size_t n);
.section .text.start, "ax"
.globl _start
_start:
    li      fp, 0
    li      ra, 0
    call    keel_start
1:  j       1b

# First instruction of a task made by keel::thread_start: sp points at
# {fn, arg} (16 bytes, left in place), a0 = the same address. Calls
# fn(arg) and ends the task with its return value.
.section .text
.globl keel_thread_entry
keel_thread_entry:
    li      fp, 0
    li      ra, 0
    ld      t0, 0(sp)
    ld      a0, 8(sp)
    jalr    t0
    li      a7, 26          # SYS_TASK_EXIT(a0)
    ecall
1:  j       1b
