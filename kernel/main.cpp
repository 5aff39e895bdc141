// kmain: the boot hart's init checklist, one step per line, in dependency order.
#include <arch/backtrace.h>
#include <arch/cpu.h>
#include <arch/csr.h>
#include <arch/memlayout.h>
#include <arch/timer.h>
#include <arch/trap.h>
#include <libk/dtb.h>

#include "bootargs.h"
#include "dev/platform_exit.h"
#include "dev/plic.h"
#include "dev/uart.h"
#include "init_process.h"
#include "ktest/ktest.h"
#include "lib/kprintf.h"
#include "lib/panic.h"
#include "mm/kernel_vm.h"
#include "mm/kstack.h"
#include "mm/pmm.h"
#include "mm/slab.h"
#include "object/console.h"
#include "object/loader.h"
#include "object/process_directory.h"
#include "sched/sched.h"

extern "C" void (*__init_array_start[])();
extern "C" void (*__init_array_end[])();

namespace {
libk::PlatformInfo platform;

libk::Dtb read_device_tree(uintptr_t dtb_pa, size_t* size) {
  const void* blob = arch::phys_to_virt(dtb_pa);
  auto total = libk::Dtb::blob_size(blob, 64 * 1024 * 1024);
  if (total.is_error()) panic("no valid device tree at %#lx", dtb_pa);
  *size = total.value();
  auto dtb = libk::Dtb::parse(blob, *size);
  if (dtb.is_error())
    panic("device tree at %#lx is corrupt: %s", dtb_pa, keel_status_name(dtb.error()));
  return dtb.release_value();
}

int run_kernel_tests(void* glob) {
  bool ok = ktest::run(static_cast<const char*>(glob));
  platform_exit(ok ? EXIT_SUCCESS_CODE : EXIT_TEST_FAILED);
}

void start_kernel_task(const char* name, Task::Entry entry, void* arg) {
  auto task = Task::create(name, entry, arg);
  if (task.is_error()) panic("cannot create the %s task", name);
  sched::start(task.release_value());
}

// What klib's panic() needs from the CPU and the devices below it.
const PanicPort panic_port = {
    [] {
      arch::irq_disable();
      uart::claim_for_panic();
    },
    [](uintptr_t fp) { arch::print_backtrace(0, fp); },
    [] { platform_exit(EXIT_PANIC); },
};

void run_global_constructors() {
  for (auto* f = __init_array_start; f < __init_array_end; f++) (*f)();
}
}  // namespace

extern "C" [[noreturn]] void kmain(uint64_t hartid, uintptr_t dtb_pa) {
  arch::cpu_init_boot_hart(hartid);  // tp -> this hart's Cpu
  set_console_sink(uart::putc);      // kprintf (SBI until uart::init)
  set_panic_port(&panic_port);       // panic: irqs off, console, backtrace, stop
  arch::trap_init_this_hart();       // stvec; a fault from here on is reported
  run_global_constructors();         // slab cache registry
  size_t dtb_size = 0;
  libk::Dtb dtb = read_device_tree(dtb_pa, &dtb_size);
  auto plat = libk::read_platform(dtb);  // memory, UART, PLIC, timebase, bootargs
  if (plat.is_error()) panic("device tree lacks %s", keel_status_name(plat.error()));
  platform = plat.release_value();
  uart::init(platform.uart_base);  // console output
  if (platform.test_base) platform_exit_init(platform.test_base);
  bootargs::init(platform.bootargs);
  pmm::init(platform, dtb_pa, dtb_size);           // buddy allocator over free RAM
  pmm::set_reclaim_hook(&SlabCache::reclaim_all);  // empty slabs back on demand
  kernel_vm::init(platform);                       // real page permissions, boot table dropped
  kstack::init();                                  // guard-paged kernel stack area
  sched::init_this_hart();                         // this boot flow becomes the idle task
  arch::set_task_reporter(sched::report_current);  // fatal reports name the task
  arch::set_interrupt_handler(arch::Interrupt::Timer, sched::on_tick);
  arch::set_preemption_point(sched::preempt_if_needed);  // after kernel-mode interrupts
  loader::init();                                        // the user programs linked into the kernel
  (void)ProcessDirectory::instance();                    // the one process directory, for init
  timer::init(platform.timebase_hz);
  plic::init(platform.plic_base, platform.plic_ndev);
  arch::set_interrupt_handler(arch::Interrupt::External, plic::dispatch);
  plic::set_handler(platform.uart_irq, uart::handle_irq);
  uart::set_input_listener(console::input_arrived);
  plic::enable(platform.uart_irq, hartid);  // console input by interrupt
  uart::enable_rx_interrupt();
  arch::w_sie(arch::r_sie() | arch::SIE_SEIE);
  timer::start_this_hart();  // the tick
  arch::w_scounteren(0x7);   // user may read cycle, time, instret (benchmarks)
  arch::irq_enable();

  uint64_t mem = 0;
  for (size_t i = 0; i < platform.memory_count; i++) mem += platform.memory[i].size;
  kprintf("Keel 0.1 (riscv64) hart %lu, %zu hart(s): memory %lu MiB, frames free %zu of %zu\n",
          hartid, platform.hart_count, mem >> 20, pmm::frames_free(), pmm::frames_total());
  kprintf("boot: %lu instructions to banner\n", arch::r_instret());

  static char glob[64];
  if (bootargs::get_or_stop("test", glob, sizeof(glob))) {  // too long stops the boot
    start_kernel_task("ktest", run_kernel_tests, glob);
  } else {
    init_process::start();  // init, or the program bootarg init= names
  }
  sched::run_idle();
}
