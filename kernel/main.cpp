// kmain: the boot hart's init checklist, one step per line, in dependency order.
#include <arch/backtrace.h>
#include <arch/cpu.h>
#include <arch/csr.h>
#include <arch/lockdebug.h>
#include <arch/memlayout.h>
#include <arch/timer.h>
#include <arch/trap.h>
#include <libk/dtb.h>
#include <libk/string.h>

#include "boot_stats.h"
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
#include "mm/kstat.h"
#include "mm/pmm.h"
#include "mm/slab.h"
#include "object/console.h"
#include "object/job.h"
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

// What every hart does before it schedules: traps, a scheduler with its idle
// task, the tick, IPIs, counters readable from user mode.
void init_this_hart_late() {
  timer::start_this_hart();  // the tick
  arch::w_sie(arch::r_sie() | arch::SIE_SSIE);
  arch::w_scounteren(0x7);  // user may read cycle, time, instret (benchmarks)
  arch::set_interrupt_handler(arch::Interrupt::Software, sched::on_ipi);
  libk::AtomicRef(arch::this_cpu()->online).store(true, libk::MemoryOrder::Release);
}

// Secondary harts' stacks until their idle tasks take them over.
KernelStack secondary_stacks[arch::MAX_CPUS];

// A secondary hart's first C++ code (cpu_start): on its own kernel stack,
// with tp set and the kernel's page table loaded.
[[noreturn]] void secondary_main() {
  arch::trap_init_this_hart();
  sched::init_this_hart(&secondary_stacks[arch::this_cpu()->index]);  // idle task, owning its stack
  init_this_hart_late();
  arch::irq_enable();
  sched::run_idle();
}

// Every other hart in the device tree, through SBI HSM, each on a guarded
// kernel stack of its own (kept for ever: it is its idle task's). Waits (with
// a generous bound) until each runs its scheduler.
size_t known_harts() {
  return platform.hart_count < libk::PlatformInfo::MAX_HART_IDS ? platform.hart_count
                                                                : libk::PlatformInfo::MAX_HART_IDS;
}

// A numeric boot argument, or `absent`; anything else stops the boot.
uint64_t number_arg(const char* key, uint64_t absent) {
  char text[24];
  if (!bootargs::get_or_stop(key, text, sizeof(text))) return absent;
  uint64_t v = 0;
  const char* end = libk::parse_u64(text, &v);
  if (!end || *end) bootargs::stop("boot argument '%s' is not a number: '%s'", key, text);
  return v;
}

// lockdebug=on (2 s bounds), lockdebug=<ms>, lockdebug=off; the build's
// default is off unless configured with -Dlockdebug=true.
void enable_lock_debugging_if_asked() {
#ifdef KEEL_LOCKDEBUG_DEFAULT
  bool on = true;
#else
  bool on = false;
#endif
  uint64_t bound_ms = 2000;
  char text[24];
  if (bootargs::get_or_stop("lockdebug", text, sizeof(text))) {
    uint64_t v = 0;
    const char* end = libk::parse_u64(text, &v);
    if (libk::str_eq(text, "on")) {
      on = true;
    } else if (libk::str_eq(text, "off")) {
      on = false;
    } else if (end && !*end && v > 0) {
      on = true;
      bound_ms = v;
    } else {
      bootargs::stop("boot argument 'lockdebug' wants on, off or a bound in ms: '%s'", text);
    }
  }
  if (on) lockdebug::enable(bound_ms, platform.timebase_hz ? platform.timebase_hz : 10000000);
}

// boothart=N: this hart hands the boot to hart N (which starts it afresh).
void hand_over_boot_if_asked(uint64_t hartid, uintptr_t dtb_pa) {
  uint64_t want = number_arg("boothart", hartid);
  if (want == hartid) return;
  bool exists = false;
  for (size_t i = 0; i < known_harts(); i++) exists |= platform.hart_ids[i] == want;
  if (!exists) bootargs::stop("boot argument 'boothart': there is no hart %lu", want);
  kprintf("keel: hart %lu hands the boot to hart %lu\n", hartid, want);
  arch::hand_boot_to(want, dtb_pa);
}

void start_secondary_harts(uint64_t boot_hartid) {
  size_t known = known_harts();
  uint64_t max = number_arg("maxcpus", arch::MAX_CPUS);
  if (max == 0) bootargs::stop("boot argument 'maxcpus' must be at least 1");
  if (max > arch::MAX_CPUS) max = arch::MAX_CPUS;
  // hartstart=reset: start them at the kernel's first instruction, as a
  // racing firmware may (boot test of the recovery in entry.S).
  char at_text[8] = "";
  bootargs::get_or_stop("hartstart", at_text, sizeof(at_text));
  arch::StartAt at = arch::StartAt::Secondary;
  if (libk::str_eq(at_text, "reset")) {
    at = arch::StartAt::Reset;
  } else if (at_text[0]) {
    bootargs::stop("boot argument 'hartstart' wants reset: '%s'", at_text);
  }
  for (size_t i = 0; i < known; i++) {
    uint64_t id = platform.hart_ids[i];
    if (id == boot_hartid) continue;
    unsigned index = arch::cpus_online();
    if (index >= max) {
      kprintf("keel: hart %lu stays parked (at most %lu CPUs)\n", id, max);
      continue;
    }
    KernelStack& stack = secondary_stacks[index];
    if (stack.allocate().is_error()) panic("no memory for hart %lu's stack", id);
    long error = 0;
    if (arch::cpu_start(id, stack.bottom(), stack.top(), secondary_main, &error, at) < 0) {
      kprintf("keel: hart %lu did not start (SBI error %ld)\n", id, error);
      stack.release();
    }
  }
  uint64_t give_up = timer::now() + 10 * timer::timebase_hz();
  while (sched::harts_online() < arch::cpus_online() && timer::now() < give_up) arch::cpu_relax();
  if (sched::harts_online() < arch::cpus_online())
    kprintf("keel: only %u of %u harts came up\n", sched::harts_online(), arch::cpus_online());
}
}  // namespace

extern "C" [[noreturn]] void kmain(uint64_t hartid, uintptr_t dtb_pa) {
  boot_stats::note_entry();
  arch::cpu_init_boot_hart(hartid);  // tp -> this hart's Cpu
  set_console_sink(uart::write);     // kprintf (SBI until uart::init)
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
  boot_stats::init_from_bootargs();                // icount=on: instruction counts are exact
  hand_over_boot_if_asked(hartid, dtb_pa);         // boothart=N: another hart boots instead
  enable_lock_debugging_if_asked();                // lockdebug=on|<ms>|off
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
  (void)Job::root();                                     // the root job, for init
  timer::init(platform.timebase_hz);
  plic::init(platform.plic_base, platform.plic_ndev);
  arch::set_interrupt_handler(arch::Interrupt::External, plic::dispatch);
  plic::set_handler(platform.uart_irq, uart::handle_irq);
  uart::set_input_listener(console::input_arrived);
  plic::enable(platform.uart_irq, hartid);  // console input by interrupt (this hart's)
  uart::enable_rx_interrupt();
  arch::w_sie(arch::r_sie() | arch::SIE_SEIE);
  init_this_hart_late();  // tick, IPIs
  arch::irq_enable();
  start_secondary_harts(hartid);  // every other hart: its own idle task, tick, IPIs

  uint64_t mem = 0;
  for (size_t i = 0; i < platform.memory_count; i++) mem += platform.memory[i].size;
  kprintf(
      "Keel 0.1 (riscv64) hart %lu, %u of %zu hart(s) online: memory %lu MiB, frames free %zu of "
      "%zu\n",
      hartid, sched::harts_online(), platform.hart_count, mem >> 20, pmm::frames_free(),
      pmm::frames_total());
  if (boot_stats::exact())
    kprintf("boot: %lu instructions from kernel entry to this banner\n",
            boot_stats::instructions_since_entry());

  static char glob[64];
  if (bootargs::get_or_stop("test", glob, sizeof(glob))) {  // too long stops the boot
    kstat::show_test_caches();
    start_kernel_task("ktest", run_kernel_tests, glob);
  } else {
    init_process::start();  // init, or the program bootarg init= names
  }
  sched::run_idle();
}
