// The console UART: a 16550 (QEMU virt: ns16550a at 0x10000000, PLIC irq 10).
// Output is polled; input arrives by interrupt into a ring the shell reads.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace uart {

void init(uintptr_t base_pa);  // before this, output goes through SBI
void enable_rx_interrupt();    // after the PLIC routes the UART's irq
// n bytes in one piece: no other hart's output lands among them ('\n'
// becomes "\r\n" for terminals).
void write(const char* s, size_t n);
void handle_irq();    // drain the receive FIFO into the ring
int getc();           // next input byte, or -1 if none
size_t rx_dropped();  // bytes lost because the ring was full
// Called (from the interrupt handler) after input was queued.
void set_input_listener(void (*listener)());

// The panic paths call this first: from then on this hart writes without the
// output lock (its holder may be the code that faulted), and another hart
// that prints, or panics too, stops. Lock-free by construction.
void claim_for_panic();
// Kernel tests only: take the output lock and keep it (then panic).
void hold_output_lock_for_test();

}  // namespace uart
