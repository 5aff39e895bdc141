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
