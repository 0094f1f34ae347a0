#!/usr/bin/env python3
"""Progress tells the truth about the time left: the weight of each phase
comes from the device's expected busy times (the quirk table), not from
the bwPollTimeout it reports.  For each DfuSe profile, the fraction
`defuse-cli flash --json` reports when writing starts and when verifying
starts is compared with the virtual device's own account of the work (its
busy floor per operation: busy time plus the wire time of the minimal
requests).  Deterministic: weights against the model's busy times, no
clock involved."""
import json
import os
import subprocess

from simtest import CLI, available, layout, pattern, sim, write
from taptest import run, test

PROFILES = ["stm32f405", "stm32f411", "stm32h743", "stm32l476", "stm32f072", "gd32vf103"]
TOLERANCE = 0.1  # of the whole job


def first_fraction(events, phase):
    return next(e["fraction"] for e in events if e.get("event") == "progress" and e["phase"] == phase)


def make_test(profile, blank=False):
    """blank: the board reads erased, as from the factory (the blank check
    reads its sectors instead of erasing them); else it holds an older
    firmware, and every sector the image touches is erased."""
    def check(tmp):
        if not available():
            return "skip"
        base, size, _ = layout(tmp, profile)
        before = write(os.path.join(tmp, "before.bin"), b"\xff" * size if blank else pattern(size, 9))
        elements = [(base, 14776), (base + size // 8, min(60000, size // 4))]
        parts = [f"0x{a:08x}:{write(os.path.join(tmp, f'e{i}.bin'), pattern(n, i + 3))}"
                 for i, (a, n) in enumerate(elements)]
        fw = os.path.join(tmp, "fw.dfu")
        subprocess.run([CLI, "pack", "--no-pad", "-o", fw, *parts], check=True)
        r = sim(tmp, CLI, "flash", "--json", fw, profile=profile, flash_in=before)
        assert r.status == 0, r
        events = [json.loads(line) for line in r.out.splitlines() if line.startswith("{")]
        ops = r.stats()["ops"]
        erase = ops["erase"]["busy_floor_us"]
        write_ = ops["write"]["busy_floor_us"] + ops["set_address"]["busy_floor_us"]
        read = ops["read"]["busy_floor_us"]
        # the reads before the erase (the blank check) and the verify's,
        # which reads back what was written, split by bytes
        check_read = read * (ops["read"]["bytes"] - ops["write"]["bytes"]) / ops["read"]["bytes"]
        total = erase + write_ + read
        for phase, device_share in (("write", (check_read + erase) / total),
                                    ("verify", (check_read + erase + write_) / total)):
            shown = first_fraction(events, phase)
            assert abs(shown - device_share) <= TOLERANCE, \
                f"{profile}: {shown:.2f} shown when {phase} starts, the device's work says {device_share:.2f}"
    check.__name__ = f"{profile}_progress_weighted_by_busy_times" + ("_on_a_blank_board" if blank else "")
    return check


for _profile in PROFILES:
    test(make_test(_profile))
test(make_test("stm32f405", blank=True))

if __name__ == "__main__":
    run()
