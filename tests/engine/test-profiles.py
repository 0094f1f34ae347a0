#!/usr/bin/env python3
"""Every corpus-style layout on every DfuSe profile: the element shapes of
the real files in ../shared/corpus (two elements with a gap, sizes that are
not multiples of 8, a 3-byte gap inside one flash word, a single element in
the middle), scaled to each device's flash, flashed through the real libusb;
the memory must equal the image and nothing outside the touched sectors
may change."""
import os
import subprocess

from simtest import CLI, available, expected_memory, layout, pattern, sim, write
from taptest import run, test

PROFILES = ["stm32f405", "stm32f411", "stm32h743", "stm32l476", "stm32f072", "gd32vf103",
            "stm32g0b1", "stm32h743-rev-v", "stm32l476-empty", "stm32c5", "stm32g431", "mboot-f769",
            "at32f415", "gd32vf103-rom-0100"]


def shapes(base, size):
    """(name, [(address, length)]) like the corpus files, fitted to size."""
    quarter = size // 4
    return [
        ("micropython", [(base, min(14776, quarter)), (base + quarter, quarter + 1000)]),
        ("flashfloppy", [(base, min(26360, quarter // 2 - 7)), (base + quarter // 2, 10877)]),
        ("vrbrain-gap", [(base, 9185), (base + 9185 + 3, 516)]),
        ("dfufilemgr", [(base + 0x5000, 1744)]),
    ]


def make_test(profile):
    def check(tmp):
        if not available():
            return "skip"
        base, size, sectors = layout(tmp, profile)
        for name, elements in shapes(base, size):
            parts = []
            writes = []
            for i, (address, length) in enumerate(elements):
                data = pattern(length, hash((profile, name, i)) & 0xFFFF)
                parts.append(f"0x{address:08x}:{write(os.path.join(tmp, f'{name}{i}.bin'), data)}")
                writes.append((address, data))
            fw = os.path.join(tmp, f"{name}.dfu")
            subprocess.run([CLI, "pack", "--no-pad", "-o", fw, *parts], check=True)
            # something the flash must leave alone: a pattern in the last sector
            before = bytearray(b"\xff" * size)
            last_start, last_size = sectors[-1]
            before[last_start - base:last_start - base + last_size] = pattern(last_size, 7)
            before_path = write(os.path.join(tmp, "before.bin"), bytes(before))
            r = sim(tmp, CLI, "flash", fw, profile=profile, flash_in=before_path)
            assert r.status == 0, f"{profile} {name}: {r}"
            got = r.memory()
            want = expected_memory(bytes(before), base, writes, sectors)
            if got != want:
                first = next(i for i in range(len(want)) if got[i] != want[i])
                raise AssertionError(f"{profile} {name}: memory differs first at 0x{base + first:08x}")
    check.__name__ = "flash_corpus_shapes_on_" + profile
    return check


for _profile in PROFILES:
    test(make_test(_profile))

if __name__ == "__main__":
    run()
