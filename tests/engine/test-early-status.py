#!/usr/bin/env python3
"""Whatever a device does with a GETSTATUS sent before it is done, a flash
ends exact and verified (issue 11).  Every profile is flashed under each
early-status behaviour of the virtual device (--fault early-status=HOW):
nak (held until ready, STM32F2/F4/F7), answer (dfuDNBUSY again, H7),
stall (F0/L4) and error (spec-strict: a GETSTATUS before bwPollTimeout
stalls and the device goes to dfuERROR/errSTALLEDPKT).  Defuse asks early
where the device's quirk says it may; a spec-strict device refuses that
once, Defuse clears it, checks and redoes the operation, and never asks
early again on that run."""
import os
import subprocess

from simtest import CLI, available, expected_memory, layout, pattern, sim, write
from taptest import run, test

# the profiles whose quirk lets Defuse ask before bwPollTimeout
ASKS_EARLY = {"stm32f405", "stm32f411", "stm32h743", "gd32vf103"}
DFUSE_PROFILES = ["stm32f405", "stm32f411", "stm32h743", "stm32l476", "stm32f072", "gd32vf103"]
BEHAVIOURS = ["nak", "answer", "stall", "error"]


def check_stats(profile, how, stats):
    assert stats["early_polls_after_refused"] == 0, \
        f"{profile} {how}: {stats['early_polls_after_refused']} early polls after the device refused one"
    if how == "error" and profile in ASKS_EARLY:
        assert stats["early_refused"] == 1, f"{profile}: the spec-strict device refused {stats['early_refused']}"
    else:
        assert stats["early_refused"] == 0, f"{profile} {how}: refused {stats['early_refused']}"
    if profile not in ASKS_EARLY:
        assert stats["early_polls"] == 0, f"{profile} {how}: {stats['early_polls']} early polls, spec timing expected"


def make_dfuse_test(profile, how):
    def check(tmp):
        if not available():
            return "skip"
        base, size, sectors = layout(tmp, profile)
        writes = [(base, pattern(5000, 11)), (base + size // 4 + 64, pattern(9001, 12))]
        parts = [f"0x{a:08x}:{write(os.path.join(tmp, f'e{i}.bin'), d)}" for i, (a, d) in enumerate(writes)]
        fw = os.path.join(tmp, "fw.dfu")
        subprocess.run([CLI, "pack", "--no-pad", "-o", fw, *parts], check=True)
        before = pattern(size, 5)
        r = sim(tmp, CLI, "flash", fw, profile=profile, flash_in=write(os.path.join(tmp, "before.bin"), before),
                faults=[f"early-status={how}"])
        assert r.status == 0, f"{profile} {how}: {r}"
        assert "verified" in r.out, f"{profile} {how}: no verify in {r.out}"
        assert r.memory() == expected_memory(before, base, writes, sectors), f"{profile} {how}: memory differs"
        check_stats(profile, how, r.stats())
    check.__name__ = f"{profile}_early_status_{how}_flash_exact_and_verified"
    return check


def make_plain_test(how):
    def check(tmp):
        if not available():
            return "skip"
        payload = write(os.path.join(tmp, "app.bin"), pattern(30000, 13))
        dfu = os.path.join(tmp, "app.dfu")
        subprocess.run([CLI, "convert", "--vid", "0x1209", "--pid", "0x5bf0", payload, dfu], check=True)
        r = sim(tmp, CLI, "flash", dfu, profile="dfu11", faults=[f"early-status={how}"])
        assert r.status == 0, f"dfu11 {how}: {r}"
        assert r.memory()[:30000] == pattern(30000, 13), f"dfu11 {how}: memory differs"
        check_stats("dfu11", how, r.stats())
    check.__name__ = f"dfu11_early_status_{how}_download_exact"
    return check


def make_write_refused_test(faults, redone):
    """The first refusal comes on a write: the block is read back and, where
    it did not land (the second fault fails it with the memory untouched),
    written again."""
    def check(tmp):
        if not available():
            return "skip"
        base, size, sectors = layout(tmp, "stm32f405")
        writes = [(base, pattern(20000, 21))]
        fw = os.path.join(tmp, "fw.dfu")
        subprocess.run([CLI, "pack", "--no-pad", "-o", fw,
                        f"0x{base:08x}:{write(os.path.join(tmp, 'e.bin'), writes[0][1])}"], check=True)
        # at the real timing: the refusal must fall on write 3, so the host's
        # poll must come inside the 104 ms the device reports (1 ms at the
        # tests' usual scale of 0.01, too short on a loaded machine)
        before = pattern(size, 22)  # an older firmware: the two sectors are erased, not just checked
        r = sim(tmp, CLI, "flash", fw, profile="stm32f405", faults=faults, scale="1",
                flash_in=write(os.path.join(tmp, "before.bin"), before))
        assert r.status == 0, r
        assert r.memory() == expected_memory(before, base, writes, sectors), "memory differs"
        stats = r.stats()
        assert stats["early_refused"] == 1 and stats["early_polls_after_refused"] == 0, stats
        at = [e["detail"] for e in stats["events"] if e["event"] == "write" and "0x08001000" in e["detail"]]
        assert len(at) == (2 if redone else 1), at
        # the blank check reads one block of each of the 2 sectors, the
        # verify the 10 blocks; one more UPLOAD is the check of the refused one
        assert stats["by_request"]["DFU_UPLOAD"] == 2 + 10 + 1, stats["by_request"]
    check.__name__ = "refused_write_" + ("not_landed_is_written_again" if redone else "that_landed_is_kept")
    return check


@test
def plain_dfu_download_refused_early_starts_again(tmp):
    """A plain DFU device a user quirk file says holds early requests, and
    that refuses one after all: the download starts again from block 0
    with the spec's timing and ends exact."""
    if not available():
        return "skip"
    quirks = os.path.join(tmp, "quirks")
    os.mkdir(quirks)
    write(os.path.join(quirks, "hold.quirk"), b"[dfu11-holds]\nvid-pid=1209:5bf0\nearly-status=hold\n")
    payload = write(os.path.join(tmp, "app.bin"), pattern(30000, 14))
    dfu = os.path.join(tmp, "app.dfu")
    subprocess.run([CLI, "convert", "--vid", "0x1209", "--pid", "0x5bf0", payload, dfu], check=True)
    r = sim(tmp, "env", f"DEFUSE_QUIRKS_DIR={quirks}", CLI, "flash", dfu, profile="dfu11",
            faults=["early-status=error"])
    assert r.status == 0, r
    assert r.memory()[:30000] == pattern(30000, 14), "memory differs"
    stats = r.stats()
    assert stats["early_refused"] == 1 and stats["early_polls_after_refused"] == 0, stats
    # the block refused is written twice: once before, once in the new download
    assert stats["ops"]["write"]["count"] > -(-30000 // 1024), stats["ops"]["write"]


test(make_write_refused_test(["early-status=error@write=3"], False))
test(make_write_refused_test(["early-status=error@write=3", "status=errWRITE@write=3"], True))
for _profile in DFUSE_PROFILES:
    for _how in BEHAVIOURS:
        test(make_dfuse_test(_profile, _how))
for _how in BEHAVIOURS:
    test(make_plain_test(_how))

if __name__ == "__main__":
    run()
