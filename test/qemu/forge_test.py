#!/usr/bin/env python3
"""Run utest-forge with the kernel addresses of the build's real slab caches.

The addresses come from the kernel's own symbol table (riscv64 nm), so the
forged payloads name exactly the objects an attacker would aim at. Every
other argument goes to scripts/qemu.
  forge_test.py KERNEL [scripts/qemu options]"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def cache_addresses(kernel):
    out = subprocess.run(["riscv64-linux-gnu-nm", "-S", "-C", kernel], capture_output=True,
                         text=True, check=True).stdout
    found = []
    for line in out.splitlines():
        m = re.match(r"([0-9a-f]+) ([0-9a-f]+) [bBdD] (.*)$", line)
        if not m or not re.search(r"cache|size_classes|payload", m.group(3)):
            continue
        found.append(int(m.group(1), 16))
    return found[:40]


def main():
    kernel = sys.argv[1]
    addrs = cache_addresses(kernel)
    args = ",".join("%x" % a for a in addrs)
    cmd = [os.path.join(ROOT, "scripts/qemu"), kernel,
           "--append", "init=utest-forge initargs=" + args] + sys.argv[2:]
    return subprocess.call(cmd)


if __name__ == "__main__":
    sys.exit(main())
