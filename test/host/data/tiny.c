// A tiny freestanding RISC-V program: host test data for libk/elf.h (see
// README.md). Text (R+X), plus initialised data and bss (R+W, memsz >
// filesz), so the ELF has two PT_LOAD segments like a real user program.
volatile unsigned long counter = 1;
unsigned long scratch[1024];

void _start(void) {
  for (;;) {
    scratch[counter % 1024] = counter;
    counter = counter + 1;
  }
}
