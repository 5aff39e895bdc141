#!/usr/bin/python3
"""Piped mode (scripts/console, what `./scripts/run < file` runs): its exit
status says whether the commands worked, and no byte sequence hangs it.
Prints TAP. Usage: console_test.py build/kernel/keel.elf"""
import os
import random
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
kernel = sys.argv[1]
results = []


def check(ok, what):
    results.append(bool(ok))
    print("%s %d - %s" % ("ok" if ok else "not ok", len(results), what), flush=True)


def console(data, *extra):
    """Exit status and output of scripts/console fed `data`; a hang of the
    script itself is caught by the outer bound and reads as status None."""
    try:
        p = subprocess.run([os.path.join(ROOT, "scripts", "console"), *extra, kernel],
                           input=data, capture_output=True, timeout=900)
    except subprocess.TimeoutExpired:
        return None, ""
    return p.returncode, p.stdout.decode("utf-8", "replace")


rc, out = console(b"hello\necho fine\n")
check(rc == 0 and "hello from user space" in out, "commands that work: status 0")
rc, out = console(b"frobnicate\nhello\n")
check(rc == 1 and "1 command(s) failed" in out, "an error printed: status 1")
rc, out = console(b"exitcode 3\n")
check(rc == 1, "a program exiting non-zero: status 1")
rc, out = console(b"exitcode 3\npoweroff\n")
check(rc == 1 and "power off" in out, "a failure before poweroff still counts")
rc, out = console(b"hello\npoweroff\n")
check(rc == 0, "poweroff after success: status 0")
rc, out = console(b"echo hi\x1b\n")
check(rc == 0 and "\nhi\n" in out, "echo hi ESC, Enter: runs, status 0")
rc, out = console(b"spin\n", "--timeout", "10")
check(rc == 1 and "typing Ctrl-C" in out and "spin: killed" in out,
      "a command past --timeout gets a Ctrl-C and counts as failed")
# Four copies printing at once (on four harts in console-smp4): every line
# arrives whole, none lost, none twice (a console that took its lock per
# character interleaved them mid-line).
rc, out = console(b"chatter 4 300\n")
whole = re.findall(r"chatter ([a-d]) line +(\d+): the quick brown fox jumps over the lazy dog "
                   r"0123456789 end", out)
check(rc == 0 and len(whole) == 1200 and len(set(whole)) == 1200,
      "4 programs printing at once: all 1200 lines whole (%d whole, %d distinct)"
      % (len(whole), len(set(whole))))
rng = random.Random(4)
rc, out = console(bytes(rng.randrange(256) for _ in range(4096)), "--timeout", "120")
check(rc in (0, 1), "4 KiB of random bytes: an answer, no hang (status %s)" % rc)
print("1..%d" % len(results))
sys.exit(0 if all(results) else 1)
