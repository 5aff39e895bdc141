#!/usr/bin/python3
"""The shell suite: drive the real shell over the real UART, in the same
QEMU a person gets from scripts/run, and check what a person would see.
Prints TAP (the plan at the end).

  shell_test.py build/kernel/keel.elf [--log FILE] [--random-bytes N]

--random-bytes: how many seeded random bytes the hostile-stream test types
(default 1 MiB). Every wait is generous: the host may be loaded, and no
check here is about speed.
"""
import argparse
import os
import random
import re
import select
import sys
import time

import pexpect

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ap = argparse.ArgumentParser()
ap.add_argument("kernel")
ap.add_argument("--log")
ap.add_argument("--random-bytes", type=int, default=1 << 20)
args = ap.parse_args()
SMP = int(os.environ.get("KEEL_SMP", "1"))  # harts: the -smp4 twin sets 4

PROMPT = "keel> "
# A fresh prompt starts a line; the editor's redraws put one after ESC [ J.
PROMPT_RE = re.compile(r"\nkeel> ")
WAIT = 300  # seconds for anything that must happen
ESC = "\x1b"
results = []


def check(ok, what):
    results.append((bool(ok), what))
    print("%s %d - %s" % ("ok" if ok else "not ok", len(results), what), flush=True)
    return ok


qemu = pexpect.spawn(
    "qemu-system-riscv64",
    ["-machine", "virt", "-bios", "default", "-m", "256M", "-smp", str(SMP), "-kernel", args.kernel,
     "-display", "none", "-chardev", "stdio,id=console,signal=off", "-serial", "chardev:console",
     "-monitor", "none"]
    + (["-append", "lockdebug=" + os.environ["KEEL_LOCKDEBUG"]]
       if os.environ.get("KEEL_LOCKDEBUG") else []),
    encoding="utf-8", codec_errors="replace", timeout=WAIT, maxread=65536)
log = open(args.log, "w") if args.log else None
qemu.logfile_read = log


def clean(text):
    return text.replace("\r", "")


def run(line, timeout=WAIT):
    """Type a line, return everything printed up to the next prompt, minus
    the echo of the line itself."""
    qemu.send(line + "\r")
    qemu.expect(PROMPT_RE, timeout=timeout)
    out = clean(qemu.before)
    return out.split("\n", 1)[1] if "\n" in out else ""


def typed(keys, timeout=WAIT):
    """Type raw keys ending in Enter; return the output up to the prompt."""
    qemu.send(keys)
    qemu.expect(PROMPT_RE, timeout=timeout)
    return clean(qemu.before)


def alive(tag):
    """Ctrl-C (cancel whatever is half typed), then a command that must answer."""
    qemu.send("\x03")
    qemu.expect(PROMPT_RE, timeout=WAIT)
    return "alive-%s" % tag in run("echo alive-%s" % tag)


def blast(data, chunk=512):
    """Write raw bytes to the UART while draining what the shell prints, so
    neither side blocks the other. The output is not logged (it is noise)."""
    qemu.logfile_read = None
    fd = qemu.child_fd
    for i in range(0, len(data), chunk):
        part = data[i:i + chunk]
        while part:
            r, w, _ = select.select([fd], [fd], [], 60)
            if r:
                try:
                    os.read(fd, 65536)
                except OSError:
                    return False
            if w:
                part = part[os.write(fd, part):]
    deadline = time.time() + 5
    while time.time() < deadline:  # let the tail drain
        r, _, _ = select.select([fd], [], [], 1)
        if r:
            os.read(fd, 65536)
            deadline = time.time() + 2
    qemu.buffer = ""
    qemu.logfile_read = log
    return True


def shell_pid():
    m = re.search(r"^\s*(\d+)\s+\d+\s+\w+\s+\d+\s+\d+\s+\d+\s+shell$", run("ps"), re.M)
    return m.group(1) if m else "none"


def programs_in_build():
    text = open(os.path.join(ROOT, "user", "meson.build")).read()
    block = text[text.index("user_program_sources = {"):]
    block = block[:block.index("\n}")]
    return re.findall(r"^\s*'([\w-]+)':", block, re.M)


try:
    qemu.expect(PROMPT_RE, timeout=600)
    check("Keel shell" in qemu.before, "boots to the shell prompt")

    # ---- help, programs by name ----
    out = run("help")
    names = programs_in_build()
    check("commands:" in out and all(re.search(r"^  %s\b" % re.escape(n), out, re.M)
                                     for n in names),
          "help lists the commands and every program of the boot image (%d)" % len(names))
    out = run("programs")
    check(all(re.search(r"^  %s\b" % re.escape(n), out, re.M) for n in names),
          "programs lists every program")
    out = run("hello")
    check("hello from user space" in out and "unknown" not in out, "a program runs by its name")
    out = run("spawn hello")
    check("hello from user space" in out, "spawn PROG still works")
    check("frobnicate: unknown command" in run("frobnicate"), "an unknown command, in words")
    check("cannot run from the shell" in run("init"), "init is refused, not hung")

    # ---- statuses in words, $? ----
    out = run("exitcode 3")
    check("exitcode: exit 3" in out, "a non-zero exit reads 'exit 3'")
    check(run("echo $?").strip() == "3", "$? is the last status")
    check(run("echo $?").strip() == "0", "$? after a successful echo is 0")
    out = run("exitcode 99999999999999999999")
    check("out of range" in out and "exit 2" in out, "exitcode of a huge number is refused")
    check("not a number" in run("exitcode 12x"), "exitcode 12x is refused")
    out = run("faulter")
    check("killed: load page fault" in out and "faulter: fault" in out,
          "a faulting program: the kernel's cause, then 'fault'")

    # ---- ; # | > ----
    out = run("echo one; echo two # not three")
    check(out.split() == ["one", "two"], "; separates commands, # starts a comment")
    check(run("# only a comment").strip() == "", "a comment line does nothing")
    check("pipes are not supported" in run("ps | hello"), "| gets a clear error")
    check("redirection is not supported" in run("echo hi > /proc/x"), "> gets a clear error")

    # ---- extra arguments: one rule ----
    check("usage: ps" in run("ps extra"), "extra arguments to ps: usage")
    check("usage: uptime" in run("uptime now"), "extra arguments to uptime: usage")
    check("usage: wait" in run("wait 1 2"), "extra arguments to wait: usage")
    check("usage: exitcode" in run("exitcode 1 2"), "extra arguments to a program that takes one")

    # ---- procfs ----
    out = run("ps")
    check(re.search(r"PID\s+PPID\s+STATE", out) and "init" in out and "procfs" in out
          and "shell" in out, "ps shows init, procfs and the shell")
    out = run("cat /proc")
    check("kstat" in out and "meminfo" in out and "not the right kind" not in out,
          "cat /proc lists it")
    check("no such file or directory" in run("cat /proc/nope"), "a missing file, in words")
    out = run("kstat")
    check(re.search(r"^frames_free \d+$", out, re.M), "kstat")
    check("objects_job " in out and "test_" not in out,
          "kstat: the system's counters, not the kernel tests' own")
    check(re.search(r"^harts_online %d$" % SMP, out, re.M), "kstat: harts_online %d" % SMP)
    check(re.search(r"MemTotal: \d+ kB", run("meminfo")), "meminfo")
    check(re.search(r"^up \d+:\d\d:\d\d, \d+ processes$", run("uptime"), re.M), "uptime")
    qemu.send("clear\r")
    qemu.expect_exact("\x1b[H\x1b[2J" + PROMPT, timeout=WAIT)
    check(True, "clear clears the screen")

    # ---- jobs ----
    out = run("spin &")
    m = re.search(r"\[(\d+)\] (\d+) spin: running in the background", out)
    check(m, "spin & starts job 1")
    job, pid = (m.group(1), m.group(2)) if m else ("0", "0")
    check(re.search(r"\[%s\] %s spin: running" % (job, pid), run("jobs")), "jobs lists it")
    check("%s spin: done, killed" % pid in run("kill %%%s" % job), "kill %N kills it: 'killed'")
    check("no background jobs" in run("jobs"), "jobs after the kill is empty")
    m = re.search(r"\] (\d+) spin", run("spin &"))
    pid = m.group(1) if m else "0"
    check("%s spin: done, killed" % pid in run("kill -9 %s" % pid), "kill -9 PID")
    check("only -9" in run("kill -15 1"), "kill with another signal is refused in words")
    check("not a job of this shell" in run("kill 1"), "kill of a process that is not ours")
    check("not a job (%N) or a process id" in run("kill abc"), "kill of a non-number")
    m = re.search(r"\[(\d+)\]", run("sleeper 300 &"))
    check(m and "sleeper: exit 0" in run("wait %%%s" % m.group(1)), "wait %N")

    # ---- ps: what each process is doing, not 'running' for all ----
    sleeper = re.search(r"\] (\d+) sleeper", run("sleeper 600000 &"))
    spinner = re.search(r"\] (\d+) spin", run("spin &"))
    out = run("ps")

    def state(pid):
        m = pid and re.search(r"^\s*%s\s+\d+\s+(\w+)\s" % pid.group(1), out, re.M)
        return m.group(1) if m else "missing"
    check(state(sleeper) == "sleeping", "ps: a sleeper is sleeping (%s)" % state(sleeper))
    check(state(spinner) in ("running", "ready"), "ps: a spinner is running or ready (%s)"
          % state(spinner))
    check(re.search(r"^\s*\d+\s+0\s+blocked\s.*init$", out, re.M),
          "ps: init, waiting for its children, is blocked")
    run("kill %s %s" % (sleeper.group(1) if sleeper else "", spinner.group(1) if spinner else ""))
    check("no background jobs" in run("jobs"), "both killed")

    # ---- kernel jobs: kill PID inside a job, the job tree, a fork bomb ----
    out = run("spawner wait 600000 &")
    m = re.search(r"\[(\d+)\] (\d+) spawner", out)
    job, spawner = (m.group(1), m.group(2)) if m else ("0", "none")
    m = re.search(r"^\s*(\d+)\s+%s\s.*sleeper$" % spawner, run("ps"), re.M)
    child = m.group(1) if m else "none"
    out = run("kill %s" % child)
    check(m and ("%s: killed" % child) in out, "kill PID of a process a job's program started")
    if "spawner: done, exit 0" not in out:
        out += run("wait %%%s" % job)
    check("spawner: done, exit 0" in out or "[%s] spawner: exit 0" % spawner in out,
          "the program that waited for it sees it end and exits 0")
    status = run("cat /proc/%s/status" % shell_pid())
    check(re.search(r"^Job: \d+ < \d+$", status, re.M), "procfs status shows the job path")

    def counters():
        out = run("kstat")
        return dict(re.findall(r"^(\w+) (-?\d+)$", out, re.M))
    run("hello; exitcode 3; sleeper 10")  # warm-up: first use of every table
    before = counters()
    run("hello; exitcode 3; sleeper 10; spin &; kill %1")
    after = counters()
    diff = sorted(k for k in before if before[k] != after.get(k))
    check(not diff, "kstat before and after a batch of jobs is the same (%s)" % ", ".join(diff))
    out = run("forkbomb &")
    m = re.search(r"\[(\d+)\] \d+ forkbomb", out)
    bomb = m.group(1) if m else "0"
    qemu.expect_exact("the job's quota holds", timeout=WAIT)
    check(True, "forkbomb: a spawn is refused by its job's quota")
    out = run("ps")
    n = len(re.findall(r"forkbomb$", out, re.M))
    check(0 < n <= 256 and "shell" in out, "the shell still answers: ps shows %d copies (at most "
          "the quota's 256)" % n)
    check("forkbomb: done, killed" in run("kill %%%s" % bomb), "kill %N kills the fork bomb's job")
    after = counters()
    diff = sorted(k for k in before if before[k] != after.get(k))
    check(not diff, "every counter back after the fork bomb (%s)" % ", ".join(diff))

    # ---- Ctrl-C, type-ahead ----
    qemu.send("spin\r")
    time.sleep(1.0)
    qemu.send("\x03")
    qemu.expect(PROMPT_RE, timeout=WAIT)
    check("^C" in qemu.before and "spin: killed" in qemu.before, "Ctrl-C kills a foreground program")
    qemu.send("sleeper 1500\r")
    time.sleep(0.3)
    qemu.send("echo typed-ahead\r")
    qemu.expect(PROMPT_RE, timeout=WAIT)   # the sleeper's prompt
    # The typed-ahead line's prompt; if the line was lost, none comes.
    kept = qemu.expect([PROMPT_RE, pexpect.TIMEOUT], timeout=120) == 0
    check(kept and "typed-ahead" in clean(qemu.before), "a line typed while a program runs is kept")
    if not kept:
        alive("typeahead")
    qemu.send("leakcheck 100000\r")
    qemu.expect_exact("leakcheck: 100/100000", timeout=WAIT)
    qemu.send("\x03")
    stopped = qemu.expect([PROMPT_RE, pexpect.TIMEOUT], timeout=120) == 0
    check(stopped and "interrupted after" in qemu.before
          and "counters above baseline" in qemu.before, "Ctrl-C stops leakcheck")
    out = run("time hello")
    check(re.search(r"time: \d+\.\d{3} s wall, \d+ instructions", out), "time CMD")
    qemu.send("top\r")
    qemu.expect_exact("top: refresh 2", timeout=WAIT)
    qemu.send("\x03")
    left = qemu.expect([PROMPT_RE, pexpect.TIMEOUT], timeout=120) == 0
    check(left and "PID" in qemu.before, "top refreshes; Ctrl-C leaves it")

    # ---- line editing ----
    check("abc" in run("echo ac" + ESC + "[Db"), "Left then insert")
    check("hi there" in typed("there\x01echo hi \x05\r"), "Ctrl-A, Ctrl-E")
    check("xyz" in typed("echo nope\x15echo xyz\r"), "Ctrl-U kills to the start")
    check(clean(typed("echo keep drop\x17\r")).split("\n")[1].strip() == "keep", "Ctrl-W kills a word")
    check(clean(typed("echo left right" + (ESC + "[D") * 5 + "\x0b\r")).split("\n")[1].strip()
          == "left", "Ctrl-K kills to the end")
    check("ab" in typed("echo b" + ESC + "[H" + (ESC + "[C") * 5 + "a" + ESC + "[F\r"),
          "Home/End")
    run("echo first")
    run("echo second")
    check("second" in typed(ESC + "[A" + ESC + "[A" + ESC + "[B\r"), "Up Up Down: the newer line")
    check("first" in typed(ESC + "[A" + ESC + "[A\r"), "Up Up recalls the older line")
    check(re.search(r"^\s*\d+  echo first$", run("history"), re.M), "history lists the lines entered")
    check("hello from user space" in typed("hell\t\r"), "Tab completes a program")
    check("frames_free" in typed("cat /proc/kst\t\r"), "Tab completes a /proc path")
    out = typed("upti\t\r")
    check(re.search(r"^up \d", out, re.M), "Tab completes a builtin (uptime)")
    out = typed("echo f1" + ESC + "OP" + "x\r")
    check("f1x" in out and "f1Px" not in out, "ESC O P (F1) inserts nothing")
    qemu.send("\x0c")
    qemu.expect_exact("\x1b[H\x1b[2J" + PROMPT, timeout=WAIT)
    check(True, "Ctrl-L clears the screen and redraws the prompt")
    qemu.send("\r")
    qemu.expect(PROMPT_RE, timeout=WAIT)

    # ---- escapes and hostile streams ----
    check("hi" in run("echo hi" + ESC), "lone Esc before Enter: the line still runs")
    qemu.send(ESC)
    time.sleep(1.0)  # longer than the key timeout: the Esc is over
    out = typed("echo after-esc\r").split("\n")
    check(len(out) > 1 and out[1].strip() == "after-esc",
          "lone Esc, then a pause: the next key is not eaten")
    qemu.send(ESC + "\x03")
    qemu.expect(PROMPT_RE, timeout=WAIT)
    check("^C" in qemu.before, "Ctrl-C right after an Esc still works")
    prefixes = [ESC, ESC + "[", ESC + "O", ESC + "[1", ESC + "[1;", ESC + "[1;5", ESC + "]",
                ESC + "]0;title", ESC + "P", ESC + "X", ESC + "^", ESC + "_", ESC + " ",
                ESC + "[?", ESC + "[[", ESC + "O5", ESC + "]" + ESC, ESC + ESC]
    ok = all("pfx-%d" % i in run("echo pfx-%d%s" % (i, p)) for i, p in enumerate(prefixes))
    check(ok, "every escape prefix before Enter: the line still runs (%d)" % len(prefixes))
    ok = True
    for i, p in enumerate(prefixes):
        qemu.send("echo nope" + p + "\x03")
        qemu.expect(PROMPT_RE, timeout=WAIT)
        ok &= "^C" in qemu.before
    check(ok and alive("pfx"), "every escape prefix before Ctrl-C: cancelled")

    rng = random.Random(15)
    small = bytes(rng.randrange(256) for _ in range(4096))
    check(blast(small) and alive("4k"), "4 KiB of random bytes: the prompt still answers")
    start = time.time()
    big = bytes(rng.randrange(256) for _ in range(args.random_bytes))
    fine = blast(big)
    check(fine and alive("big"), "%d random bytes (%.0f s): the prompt still answers"
          % (args.random_bytes, time.time() - start))

    out = run("leakcheck 200", timeout=1200)
    check("leakcheck: 200 rounds, 0 counters above baseline" in out, "leakcheck 200")

    # ---- history, a nested shell, the job limit ----
    qemu.send("shell\r")
    qemu.expect(PROMPT_RE, timeout=WAIT)
    check("Keel shell" in qemu.before, "a nested shell starts and owns the console")
    out = run("ps")
    check("ps: not connected" in out and "ERR_" not in out, "ps in a nested shell: in words")
    qemu.send("\x04")
    qemu.expect(PROMPT_RE, timeout=WAIT)
    check("hello from user space" in run("hello"), "Ctrl-D leaves the nested shell")
    out = "".join(run("; ".join(["sleeper 600000 &"] * 8)) for _ in range(4))
    check(out.count("running in the background") == 32, "32 background jobs")
    out = run("sleeper 1 &")
    check("too many background jobs" in out and "sleeper: exit 0" not in out,
          "the 33rd is refused in words, not run in the foreground")
    out = run("kill " + " ".join("%%%d" % i for i in range(1, 17)) + "; kill "
              + " ".join("%%%d" % i for i in range(17, 33)))
    check(out.count("sleeper: done, killed") == 32 and "no background jobs" in run("jobs"),
          "kill %1 ... %32 kills them all")

    m = re.search(r"\] (\d+) spin", run("spin &"))
    spin = m.group(1) if m else "none"
    qemu.send("\x04")  # Ctrl-D on an empty line: the shell exits, init restarts it
    qemu.expect(PROMPT_RE, timeout=WAIT)
    check("init: shell exited (0), restarting it" in qemu.before and "Keel shell" in qemu.before,
          "Ctrl-D ends the shell; init restarts it")
    check(m and not re.search(r"^\s*%s\s" % spin, run("ps"), re.M),
          "a background spinner dies with the shell that started it")

    qemu.send("poweroff\r")
    qemu.expect(pexpect.EOF, timeout=WAIT)
    qemu.close()
    check(qemu.exitstatus == 0, "poweroff stops QEMU with status 0")
except (pexpect.TIMEOUT, pexpect.EOF) as e:
    check(False, "the shell answered in time (%s)" % type(e).__name__)
    print("# last output: %r" % (qemu.before[-500:] if qemu.before else ""))
    qemu.terminate(force=True)
print("1..%d" % len(results), flush=True)
sys.exit(1 if any(not ok for ok, _ in results) else 0)
