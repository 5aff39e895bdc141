#!/usr/bin/python3
"""The shell suite: drive the real shell over the real UART, in the same
QEMU a person gets from scripts/run, and check what a person would see.
Prints TAP. Usage: shell_test.py build/kernel/keel.elf [--log FILE]"""
import re
import sys
import time

import pexpect

kernel = sys.argv[1]
log_path = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--log" else None
PROMPT = "keel> "
results = []


def check(ok, what):
    results.append((bool(ok), what))
    print("%s %d - %s" % ("ok" if ok else "not ok", len(results), what), flush=True)
    return ok


qemu = pexpect.spawn(
    "qemu-system-riscv64",
    ["-machine", "virt", "-bios", "default", "-m", "256M", "-smp", "1", "-kernel", kernel,
     "-display", "none", "-chardev", "stdio,id=console,signal=off", "-serial", "chardev:console",
     "-monitor", "none"],
    encoding="utf-8", codec_errors="replace", timeout=300)
if log_path:
    qemu.logfile_read = open(log_path, "w")


def run(line, timeout=300):
    """Type a line, return everything printed up to the next prompt."""
    qemu.send(line + "\r")
    qemu.expect_exact(PROMPT, timeout=timeout)
    out = qemu.before.replace("\r", "")
    # Drop the echo of the command itself.
    return out.split("\n", 1)[1] if "\n" in out else ""


def pids_in_proc():
    return set(int(x) for x in re.findall(r"^(\d+)$", run("ls /proc"), re.M))


print("1..34", flush=True)
try:
    qemu.expect_exact(PROMPT, timeout=600)
    check("Keel shell" in qemu.before, "boots to the shell prompt")

    out = run("help")
    check("commands:" in out and "leakcheck N" in out, "help lists the commands")
    check(run("echo hello   world").strip() == "hello world", "echo")
    out = run("ps")
    check(re.search(r"PID\s+PPID\s+STATE", out) and "init" in out and "procfs" in out
          and "shell" in out, "ps shows init, procfs and the shell (from procfs)")
    before = pids_in_proc()
    check(len(before) >= 3, "ls /proc lists the live processes")

    out = run("spawn spin &")
    m = re.search(r"\[(\d+)\] spin: running in the background", out)
    check(m, "spawn spin & starts a background job")
    spin = int(m.group(1)) if m else -1
    check(spin in pids_in_proc(), "ls /proc shows the new process")
    out = run("cat /proc/%d/status" % spin)
    check("Name: spin" in out and "State: running" in out and "Pid: %d" % spin in out,
          "cat /proc/<pid>/status of the running spin")
    out = run("kill %d" % spin)
    check("killed" in out, "kill PID")
    out = run("echo after kill")
    check("[%d] spin: done, exit code -9" % spin in out, "the killed job is reported with -9")
    check(pids_in_proc() == before, "ls /proc after the kill is as before")
    check("no such file or directory" in run("cat /proc/%d/status" % spin),
          "status of the dead pid: not found, not stale")

    out = run("spawn hello")
    check("hello from user space" in out and "hello: exit code 0" in out, "spawn hello")
    check("exitcode: exit code 42" in run("spawn exitcode 42"), "spawn exitcode 42")
    check("sleeper: exit code 0" in run("spawn sleeper 100"), "spawn sleeper 100")
    out = run("spawn ipc-echo 5")
    check("5 round trips, 0 bad" in out and "ipc-echo: exit code 0" in out, "spawn ipc-echo 5")
    out = run("spawn faulter")
    check("killed: load page fault" in out and "faulter: exit code -11" in out,
          "a faulting program is killed and reported, the system goes on")
    check("no such program" in run("spawn nosuch"), "spawn of a missing program")
    out = run("spawn init")
    check("init: not started by the kernel" in out and "init: exit code 1" in out,
          "spawn init refuses in words and returns to the prompt")

    out = run("spawn sleeper 300 &")
    m = re.search(r"\[(\d+)\] sleeper", out)
    check(m and "sleeper: exit code 0" in run("wait %s" % m.group(1)), "wait PID for a background job")
    check("not a background job" in run("wait 1"), "wait for a pid that is not ours")

    qemu.send("spawn spin\r")
    time.sleep(1.0)
    qemu.send("\x03")
    qemu.expect_exact(PROMPT, timeout=300)
    check("^C" in qemu.before and "spin: exit code -9" in qemu.before,
          "Ctrl-C interrupts a foreground wait and kills the program")

    out = run("kstat")
    check(re.search(r"^frames_free \d+$", out, re.M) and "processes_live" in out, "kstat")
    out = run("meminfo")
    check(re.search(r"MemTotal: \d+ kB", out) and "MemFree:" in out, "meminfo")
    check("unknown command: frobnicate" in run("frobnicate"), "an unknown command")
    check("no such file or directory" in run("cat /proc/nope"), "a missing file")
    check("not the right kind" in run("cat /proc"), "cat of a directory")
    check("line too long" in run("x" * 300), "an overlong line")
    out = run("\x01\x02\x1b[A\xfe")
    check("ignored" in out and "non-printable" in out, "garbage bytes get a message")
    check(run("echo abcX\x7f").strip() == "echo abc".split(" ", 1)[1], "backspace edits the line")
    qemu.send("echo never\x03")
    qemu.expect_exact(PROMPT, timeout=300)
    check("never\n" not in qemu.before.replace("\r", "").split("^C")[-1], "Ctrl-C cancels a line")

    qemu.send("\x04")  # Ctrl-D on an empty line: end of input, the shell exits
    qemu.expect_exact(PROMPT, timeout=300)
    check("init: shell exited (0), restarting it" in qemu.before and "Keel shell" in qemu.before,
          "Ctrl-D ends the shell; init restarts it")

    out = run("leakcheck 200", timeout=1200)
    check("leakcheck: 200 rounds, 0 counters above baseline" in out, "leakcheck 200")

    qemu.send("poweroff\r")
    qemu.expect(pexpect.EOF, timeout=300)
    qemu.close()
    check(qemu.exitstatus == 0, "poweroff stops QEMU with status 0")
except (pexpect.TIMEOUT, pexpect.EOF) as e:
    check(False, "the shell answered in time (%s)" % type(e).__name__)
    print("# last output: %r" % (qemu.before[-500:] if qemu.before else ""))
    qemu.terminate(force=True)
failed = sum(1 for ok, _ in results if not ok)
sys.exit(1 if failed or len(results) != 34 else 0)
