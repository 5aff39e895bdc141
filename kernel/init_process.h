// Starting the first user process, and what happens when it exits.
#pragma once

namespace init_process {

// Spawn the program named by bootarg init= ("init" if absent; arguments from initargs=, comma
// separated) with a handle to the process directory carrying every right.
// A kernel task waits for it; when it exits the kernel checks every kstat
// counter against the value it had before init was loaded, reports drift,
// and powers off: status 0 only if init exited 0 and nothing leaked.
void start();

}  // namespace init_process
