"""What the engine tests need from the virtual-device helpers of
tests/sim/simrun.py: run a command under defuse-sim (memory, statistics
and log come back as files) and compute the memory a flash should leave."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sim"))

import simrun  # noqa: E402
from simrun import write  # noqa: E402,F401  (re-exported for the tests)
from taptest import pattern  # noqa: E402,F401

CLI = os.environ["DEFUSE_CLI"]

F405_BASE = 0x08000000
F405_SIZE = 1024 * 1024
F405_SECTORS = [(0x08000000 + i * 0x4000, 0x4000) for i in range(4)] + [(0x08010000, 0x10000)] + \
               [(0x08020000 + i * 0x20000, 0x20000) for i in range(7)]


def available():
    return simrun.skip_reason() is None


def sim(tmp, *command, **options):
    """Runs COMMAND under defuse-sim; the memory goes to tmp/flash*.bin."""
    return simrun.sim(tmp, list(command), **options)


def ctrl_c_in_phase(tmp, phase, *flash_args, **options):
    """Runs defuse-cli flash --json FLASH_ARGS under defuse-sim and sends it
    SIGINT once its progress reaches phase; its events go to tmp/first.log,
    its stderr to tmp/first.err, "flash exit N" to the run's stdout."""
    script = os.path.join(tmp, "cancel.sh")
    args = " ".join(map(str, flash_args))
    write(script, f"""#!/bin/sh
{CLI} flash --json {args} > {tmp}/first.log 2> {tmp}/first.err &
pid=$!
while ! grep -q '"phase":"{phase}"' {tmp}/first.log 2>/dev/null; do sleep 0.01; done
kill -INT $pid
wait $pid
echo "flash exit $?"
""".encode())
    os.chmod(script, 0o755)
    return sim(tmp, script, **options)


def expected_memory(before, base, writes, sectors):
    """The memory after a flash that erases the sectors the writes touch."""
    return simrun.expected_after_flash(before, base, [(s, n, None) for s, n in sectors], writes)


def sectors_touched(writes, sectors):
    """The starts of the sectors the writes go into, ascending."""
    return [s for s, n in sectors if any(a < s + n and s < a + len(d) for a, d in writes)]


def layout(tmp, profile):
    """(base, size, sectors) of alt 0 as defuse-cli sees it (quirks applied)."""
    r = sim(tmp, CLI, "list", "--json", profile=profile)
    assert r.status == 0, r
    region = json.loads(r.out)[0]["alts"][0]["regions"][0]
    sectors, at = [], region["start"]
    for group in region["sectors"]:
        for _ in range(group["count"]):
            sectors.append((at, group["size"]))
            at += group["size"]
    return region["start"], region["size"], sectors


def micropython_like(tmp):
    """~320 KiB in two elements at 0x08000000 and 0x08020000, as MicroPython builds are."""
    a = write(os.path.join(tmp, "p0.bin"), pattern(14776, 1))
    b = write(os.path.join(tmp, "p1.bin"), pattern(306928, 2))
    out = os.path.join(tmp, "fw.dfu")
    subprocess.run([CLI, "pack", "-o", out, "--vid", "0x0483", "--pid", "0xdf11",
                    f"0x08000000:{a}", f"0x08020000:{b}"], check=True)
    return out, [(0x08000000, pattern(14776, 1)), (0x08020000, pattern(306928, 2))]
