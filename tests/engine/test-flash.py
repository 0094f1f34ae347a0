#!/usr/bin/env python3
"""defuse-cli flash, read, list and detach against virtual devices through
the real libusb (defuse-sim + umockdev): memory must equal the image, what
the image does not touch must survive, and every failure must give a clear
message, a non-zero exit, and a device the next flash can use."""
import json
import re
import os
import subprocess

from simtest import (CLI, F405_BASE, F405_SECTORS, F405_SIZE, available, expected_memory, layout,
                     micropython_like, pattern, sectors_touched, sim, simrun, write)
from taptest import run, test


def filesystem_preload(tmp):
    """A MicroPython-style filesystem in sectors 1-3 (0x08004000-0x0800ffff)."""
    mem = bytearray(b"\xff" * F405_SIZE)
    mem[0x4000:0x10000] = pattern(0xC000, 99)
    return write(os.path.join(tmp, "before.bin"), bytes(mem)), bytes(mem)


def skip_without_sim():
    return not available()


@test
def list_shows_the_bootloader(tmp):
    if skip_without_sim():
        return "skip"
    r = sim(tmp, CLI, "list", "--json")
    assert r.status == 0, r
    devices = json.loads(r.out)
    assert len(devices) == 1, devices
    d = devices[0]
    assert (d["vid"], d["pid"], d["mode"]) == (0x0483, 0xDF11, "dfuse"), d
    assert d["transfer_size"] == 2048 and d["dfu_version"] == 0x011A, d
    names = [a["name"] for a in d["alts"]]
    assert names[0].startswith("@Internal Flash"), names
    flash = d["alts"][0]["regions"][0]
    assert flash["start"] == F405_BASE and flash["size"] == F405_SIZE, flash
    r = sim(tmp, CLI, "list")
    assert "Internal Flash, 1 MiB at 0x08000000: 4 x 16 KiB, 1 x 64 KiB, 7 x 128 KiB" in r.out, r


@test
def flash_micropython_image_keeps_filesystem(tmp):
    if skip_without_sim():
        return "skip"
    fw, writes = micropython_like(tmp)
    before_path, before = filesystem_preload(tmp)
    r = sim(tmp, CLI, "flash", fw, flash_in=before_path)
    assert r.status == 0, r
    assert r.memory() == expected_memory(before, F405_BASE, writes, F405_SECTORS)
    # the filesystem sectors were neither erased nor written
    assert r.memory()[0x4000:0x10000] == before[0x4000:0x10000]


@test
def transcript_names_what_the_device_erased_and_wrote(tmp):
    if skip_without_sim():
        return "skip"
    fw, writes = micropython_like(tmp)
    r = sim(tmp, CLI, "flash", fw)
    assert r.status == 0, r
    said = {verb: [(int(a, 16), int(b, 16)) for a, b in re.findall(rf": {verb} [\d.]+\s+KiB at 0x(\w+)–0x(\w+)", r.out)]
            for verb in ("erased", "wrote", "verified")}
    erased = [re.match(r"0x\w+, sector 0x(\w+) \((\d+) bytes\)", e["detail"]).groups()
              for e in r.stats()["events"] if e["event"] == "erase"]
    # every sector the device erased, and nothing else, is in the transcript,
    # contiguous sectors on one line
    merged = []
    for a, n in erased:
        start, last = int(a, 16), int(a, 16) + int(n) - 1
        if merged and merged[-1][1] + 1 == start:
            merged[-1] = (merged[-1][0], last)
        else:
            merged.append((start, last))
    assert said["erased"] == merged, (said, erased)
    # each element's bytes are inside one written and verified run
    for address, data in writes:
        assert any(a <= address and address + len(data) - 1 <= b for a, b in said["wrote"]), (address, said)
    assert said["verified"] == said["wrote"], said


@test
def transcript_merges_contiguous_erased_pages(tmp):
    """60 KiB on an STM32F0 is 30 pages of 2 KiB: one line, not 30."""
    if skip_without_sim():
        return "skip"
    data = write(os.path.join(tmp, "app.bin"), pattern(60 * 1024, 5))
    fw = os.path.join(tmp, "app.dfu")
    subprocess.run([CLI, "pack", "-o", fw, f"0x08000000:{data}"], check=True)
    r = sim(tmp, CLI, "flash", fw, profile="stm32f072")
    assert r.status == 0, r
    erased = [line for line in r.out.splitlines() if ": erased " in line]
    assert len(erased) == 1 and re.search(r"60\.0\s+KiB at 0x08000000–0x0800efff", erased[0]), erased
    assert sum(1 for e in r.stats()["events"] if e["event"] == "erase") == 30


@test
def flash_uses_few_requests(tmp):
    if skip_without_sim():
        return "skip"
    fw, writes = micropython_like(tmp)
    before = write(os.path.join(tmp, "before.bin"), pattern(F405_SIZE, 37))  # an older firmware
    r = sim(tmp, CLI, "flash", "--no-verify", fw, flash_in=before)
    assert r.status == 0, r
    stats = r.stats()
    stats = stats[0] if isinstance(stats, list) else stats
    total = stats["transfers"]
    chunks = sum((len(d) + 2047) // 2048 for _, d in writes)
    # per chunk: DNLOAD + 2 GETSTATUS; a handful more per erase (the blank
    # check's read of its first block among them) and run
    assert total <= 3 * chunks + 6 * 4 + 40, (total, chunks)


@test
def short_last_block_is_programmed_as_it_is(tmp):
    """A run that ends in a short block is padded to the 8-byte program unit,
    not to a whole 2 KiB chunk: the bootloader programs padding 0xFF like any
    byte (43 ms per block on an STM32F072)."""
    if skip_without_sim():
        return "skip"
    data = pattern(2048 + 437, 31)
    fw = os.path.join(tmp, "fw.dfu")
    subprocess.run([CLI, "pack", "--no-pad", "-o", fw, f"0x08000000:{write(os.path.join(tmp, 'e.bin'), data)}"],
                   check=True)
    r = sim(tmp, CLI, "flash", fw, profile="stm32f072")
    assert r.status == 0, r
    assert r.memory()[:len(data)] == data and r.memory()[len(data):4096] == b"\xff" * (4096 - len(data))
    write_op = r.stats()["ops"]["write"]
    assert (write_op["count"], write_op["bytes"]) == (2, 2048 + 440), write_op


def make_unaligned_test(profile):
    def check(tmp):
        """An element at an odd address whose chunks cross flash words: no
        word is programmed twice, so the part's ECC or its check of erased
        words never sees it, and the memory equals the image."""
        if skip_without_sim():
            return "skip"
        base, size, sectors = layout(tmp, profile)
        # and 6 bytes from 3 past a unit: they end in the next unit
        writes = [(base + size // 4 + 3, pattern(5001, 32)), (base + size // 2 + 3, pattern(6, 38))]
        parts = [f"0x{a:08x}:{write(os.path.join(tmp, f'e{i}.bin'), d)}" for i, (a, d) in enumerate(writes)]
        fw = os.path.join(tmp, "fw.dfu")
        subprocess.run([CLI, "pack", "--no-pad", "-o", fw, *parts], check=True)
        before = pattern(size, 33)
        r = sim(tmp, CLI, "flash", fw, profile=profile, flash_in=write(os.path.join(tmp, "before.bin"), before))
        assert r.status == 0, r
        assert r.memory() == expected_memory(before, base, writes, sectors), "memory differs"
        # one pass: 5001 bytes from 3 bytes before to the next 8-byte
        # boundary, and the 6 bytes in one chunk
        chunk = simrun.profile(profile)["dfu"]["transfer_size"]
        assert r.stats()["ops"]["write"]["count"] == -(-5008 // chunk) + 1, f"{profile}: written again: {r.err}"
    check.__name__ = f"{profile}_unaligned_element_is_exact"
    return check


for _profile in ("stm32f405", "stm32l476", "stm32h743", "stm32f072", "gd32vf103"):
    test(make_unaligned_test(_profile))


def erase_events(r):
    return [e["detail"].split(",")[0] for e in r.stats()["events"] if e["event"] == "erase"]


@test
def blank_sectors_are_not_erased_again(tmp):
    """STM32F4 (no flash ECC): a 16 KiB+ sector that reads all 0xFF is
    written without an erase; one that holds data anywhere, even only in its
    last byte, is erased as planned; memory ends as an erase would leave it."""
    if skip_without_sim():
        return "skip"
    fw, writes = micropython_like(tmp)
    before = bytearray(b"\xff" * F405_SIZE)
    before[0x20000 - 1] = 0x00           # sector 4 (not touched): kept
    before[0x40000 - 1] = 0x5A           # sector 5: data in its last byte only
    r = sim(tmp, CLI, "flash", fw, flash_in=write(os.path.join(tmp, "before.bin"), bytes(before)))
    assert r.status == 0, r
    assert r.memory() == expected_memory(bytes(before), F405_BASE, writes, F405_SECTORS), "memory differs"
    touched = sectors_touched(writes, F405_SECTORS)
    assert erase_events(r) == ["0x08020000"], (erase_events(r), [hex(s) for s in touched])
    assert f"{len(touched) - 1} sectors already read erased" in r.out, r.out


@test
def sectors_with_data_are_erased_without_reading_them_whole(tmp):
    """A board holding an older firmware: every touched sector is erased,
    and the check read one block of each, not the sectors."""
    if skip_without_sim():
        return "skip"
    fw, writes = micropython_like(tmp)
    before = pattern(F405_SIZE, 34)
    r = sim(tmp, CLI, "flash", "--no-verify", fw, flash_in=write(os.path.join(tmp, "before.bin"), before))
    assert r.status == 0, r
    assert r.memory() == expected_memory(before, F405_BASE, writes, F405_SECTORS), "memory differs"
    touched = sectors_touched(writes, F405_SECTORS)
    assert len(erase_events(r)) == len(touched), erase_events(r)
    assert r.stats()["ops"]["read"]["bytes"] == 2048 * len(touched), r.stats()["ops"]["read"]
    assert "read erased" not in r.out, r.out


@test
def blank_sectors_are_erased_on_parts_with_ecc(tmp):
    """STM32L4 programs 64-bit words with ECC: a word that reads 0xFF may
    have been programmed, so every sector the image touches is erased."""
    if skip_without_sim():
        return "skip"
    base, size, sectors = layout(tmp, "stm32l476")
    writes = [(base, pattern(40000, 35))]
    fw = os.path.join(tmp, "fw.dfu")
    subprocess.run([CLI, "pack", "-o", fw, f"0x{base:08x}:{write(os.path.join(tmp, 'e.bin'), writes[0][1])}"],
                   check=True)
    r = sim(tmp, CLI, "flash", "--no-verify", fw, profile="stm32l476")
    assert r.status == 0, r
    assert len(erase_events(r)) == -(-40000 // sectors[0][1]), erase_events(r)
    assert r.stats()["ops"]["read"]["count"] == 0, r.stats()["ops"]["read"]


@test
def diff_skips_unchanged_sectors(tmp):
    if skip_without_sim():
        return "skip"
    fw, writes = micropython_like(tmp)
    first = sim(tmp, CLI, "flash", fw)
    assert first.status == 0, first
    flashed = os.path.join(tmp, "flashed.bin")
    write(flashed, first.memory())
    again = sim(tmp, CLI, "flash", "--diff", fw, flash_in=flashed)
    assert again.status == 0, again
    assert "4 unchanged sectors skipped" in again.out, again
    assert again.memory() == first.memory()
    log = open(os.path.join(tmp, "sim.log")).read().lower()
    assert "erase" not in log or "0x41" not in log, "no erase expected"


@test
def backup_saves_what_will_change(tmp):
    if skip_without_sim():
        return "skip"
    fw, writes = micropython_like(tmp)
    before_path, before = filesystem_preload(tmp)
    backup = os.path.join(tmp, "backup.dfu")
    r = sim(tmp, CLI, "flash", "--backup", backup, fw, flash_in=before_path)
    assert r.status == 0, r
    doc = json.loads(subprocess.run([CLI, "info", "--json", backup], capture_output=True, text=True, check=True).stdout)
    elements = [(e["address"], e["size"]) for e in doc["targets"][0]["elements"]]
    assert elements == [(0x08000000, 0x4000), (0x08020000, 0x20000), (0x08040000, 0x20000), (0x08060000, 0x20000)], elements


@test
def read_back_matches(tmp):
    if skip_without_sim():
        return "skip"
    before_path, before = filesystem_preload(tmp)
    out = os.path.join(tmp, "read.bin")
    r = sim(tmp, CLI, "read", "--address", "0x08004000", "--length", str(0xC000), out, flash_in=before_path)
    assert r.status == 0, r
    assert open(out, "rb").read() == before[0x4000:0x10000]
    whole = os.path.join(tmp, "whole.bin")
    r = sim(tmp, CLI, "read", whole, flash_in=before_path)
    assert r.status == 0, r
    assert open(whole, "rb").read() == before


@test
def raw_needs_address_and_dfuse_is_not_raw(tmp):
    if skip_without_sim():
        return "skip"
    raw = write(os.path.join(tmp, "app.bin"), pattern(4096, 3))
    r = sim(tmp, CLI, "flash", raw)
    assert r.status == 5 and "--address 0x08000000" in r.err, r
    r = sim(tmp, CLI, "flash", "--address", "0x08008000", raw)
    assert r.status == 0, r
    assert r.memory()[0x8000:0x9000] == pattern(4096, 3)


@test
def vid_pid_mismatch_refused_unless_forced(tmp):
    if skip_without_sim():
        return "skip"
    a = write(os.path.join(tmp, "a.bin"), pattern(1024, 4))
    fw = os.path.join(tmp, "other.dfu")
    subprocess.run([CLI, "pack", "-o", fw, "--vid", "0x1209", "--pid", "0x1234", f"0x08000000:{a}"], check=True)
    r = sim(tmp, CLI, "flash", fw)
    assert r.status == 5 and "1209:1234" in r.err and "0483:df11" in r.err, r
    assert r.memory() == b"\xff" * F405_SIZE, "nothing may be touched"
    r = sim(tmp, CLI, "flash", "--force", fw)
    assert r.status == 0, r


@test
def element_outside_layout_refused(tmp):
    if skip_without_sim():
        return "skip"
    a = write(os.path.join(tmp, "a.bin"), pattern(0x20000, 5))
    fw = os.path.join(tmp, "big.dfu")
    subprocess.run([CLI, "pack", "-o", fw, f"0x080F0000:{a}"], check=True)
    r = sim(tmp, CLI, "flash", "--force", fw)
    assert r.status == 5 and "outside" in r.err and "0x08100000" in r.err, r
    assert r.memory() == b"\xff" * F405_SIZE


@test
def no_device_and_ambiguous_selection(tmp):
    if skip_without_sim():
        return "skip"
    fw, _ = micropython_like(tmp)
    r = sim(tmp, CLI, "flash", fw, count=2)
    assert r.status == 3 and "2 DFU devices match" in r.err, r
    r = sim(tmp, CLI, "flash", "--device", "1209:0001", fw)
    assert r.status == 3 and "found:" in r.err, r


@test
def parallel_flash_of_four(tmp):
    if skip_without_sim():
        return "skip"
    fw, writes = micropython_like(tmp)
    r = sim(tmp, CLI, "flash", "--all", fw, count=4)
    assert r.status == 0, r
    want = expected_memory(b"\xff" * F405_SIZE, F405_BASE, writes, F405_SECTORS)
    for i in range(1, 5):
        assert r.memory(i) == want, i
    assert r.out.count("done:") == 4, r


@test
def json_events(tmp):
    if skip_without_sim():
        return "skip"
    fw, _ = micropython_like(tmp)
    r = sim(tmp, CLI, "flash", "--json", fw)
    assert r.status == 0, r
    events = [json.loads(line) for line in r.out.splitlines()]
    phases = [e["phase"] for e in events if e["event"] == "progress"]
    for phase in ("erase", "write", "verify", "leave"):
        assert phase in phases, phases
    fractions = [e["fraction"] for e in events if e["event"] == "progress"]
    assert fractions == sorted(fractions), "progress never goes back"
    assert any(0.2 < f < 0.8 for f in fractions)
    assert events[-1]["event"] == "result" and events[-1]["ok"], events[-1]


@test
def cancel_mid_write_leaves_device_idle(tmp):
    if skip_without_sim():
        return "skip"
    fw, writes = micropython_like(tmp)
    script = os.path.join(tmp, "cancel.sh")
    # flash, interrupt it once writing has started, then flash again
    write(script, f"""#!/bin/sh
{CLI} flash --json {fw} > {tmp}/first.log 2>&1 &
pid=$!
while ! grep -q '"phase":"write"' {tmp}/first.log 2>/dev/null; do sleep 0.01; done
kill -INT $pid
wait $pid
echo "first exit $?"
{CLI} flash {fw}
""".encode())
    os.chmod(script, 0o755)
    r = sim(tmp, script, scale="0.05")
    first = open(os.path.join(tmp, "first.log")).read()
    assert "first exit 8" in r.out, (r, first)
    assert "Cancelled" in first and "dfuIDLE" in first, first
    assert r.status == 0, r
    assert r.memory() == expected_memory(b"\xff" * F405_SIZE, F405_BASE, writes, F405_SECTORS)


# Faults: (spec, expected exit, phrase in the message).  One-off hiccups
# are retried and the flash finishes (exit 0, the retry in the transcript);
# faults that do not go away end it with one message.
FAULTS = [
    ("stall@dnload=20", (0,), "refused the request (stall)"),
    ("status=errWRITE@write=10", (0,), "errWRITE"),
    ("status=errERASE@erase=2", (0,), "errERASE"),
    ("status=errVERIFY@write=10", (0,), "errVERIFY"),
    ("status=errTARGET@write=10", (6,), "errTARGET"),
    ("status=errADDRESS@write=10", (6,), "errADDRESS"),
    ("status=errUNKNOWN@write=10", (0,), "errUNKNOWN"),
    ("status=errVENDOR@write=10", (6,), "read-protected"),
    ("bad-status@getstatus=30", (0,), "instead of 6"),
    ("state=dfuERROR@getstatus=30", (0,), "the device reported"),
    ("no-answer=1@dnload=20", (0,), "did not answer"),
]


def make_fault_test(spec, codes, phrase):
    def check(tmp):
        if skip_without_sim():
            return "skip"
        fw, writes = micropython_like(tmp)
        script = os.path.join(tmp, "twice.sh")
        write(script, (f"#!/bin/sh\n{CLI} flash {fw}\nstatus=$?\necho \"first exit $status\"\n"
                       f"[ $status = 0 ] || {CLI} flash {fw}\n").encode())
        os.chmod(script, 0o755)
        before = pattern(F405_SIZE, 36)  # an older firmware: the sectors are erased
        r = sim(tmp, script, faults=[spec], flash_in=write(os.path.join(tmp, "before.bin"), before))
        first = [int(line.split()[-1]) for line in r.out.splitlines() if line.startswith("first exit")]
        assert first and first[0] in codes, (spec, r)
        if first[0] == 0:
            assert phrase in r.out and "retrying (1 of at most 8)" in r.out, (spec, phrase, r)
            assert "1 request retried" in r.out, r
        else:
            assert phrase in r.err, (spec, phrase, r)
            assert "defuse-cli:" in r.err and "retrying" not in r.out, r
        assert "Traceback" not in r.err and "CRITICAL" not in r.err, r
        # the next flash on the same device works
        assert r.status == 0, (spec, r)
        assert r.memory() == expected_memory(before, F405_BASE, writes, F405_SECTORS)
    check.__name__ = "fault_" + spec.replace("@", "_at_").replace("=", "_")
    return check


for _spec, _codes, _phrase in FAULTS:
    test(make_fault_test(_spec, _codes, _phrase))


@test
def unplug_mid_write(tmp):
    if skip_without_sim():
        return "skip"
    fw, _ = micropython_like(tmp)
    r = sim(tmp, CLI, "flash", fw, faults=["disconnect@byte=100000"])
    assert r.status == 7, r
    assert "gone" in r.err and "flash again" in r.err, r


@test
def read_protected_device(tmp):
    if skip_without_sim():
        return "skip"
    fw, writes = micropython_like(tmp)
    before_path, _ = filesystem_preload(tmp)
    r = sim(tmp, CLI, "flash", fw, faults=["rdp"], flash_in=before_path)
    assert r.status == 6 and "read-protected" in r.err and "unprotect --force" in r.err, r
    # unprotect needs --force, then the chip is blank and flashable
    r = sim(tmp, CLI, "unprotect", faults=["rdp"])
    assert r.status == 2 and "--force" in r.err, r
    script = os.path.join(tmp, "unprotect.sh")
    write(script, f"#!/bin/sh\nset -e\n{CLI} unprotect --force\n{CLI} flash {fw}\n".encode())
    os.chmod(script, 0o755)
    r = sim(tmp, script, faults=["rdp"], flash_in=before_path)
    assert r.status == 0, r
    assert r.memory() == expected_memory(b"\xff" * F405_SIZE, F405_BASE, writes, F405_SECTORS)


@test
def plain_dfu_device(tmp):
    if skip_without_sim():
        return "skip"
    payload = write(os.path.join(tmp, "app.bin"), pattern(50000, 7))
    dfu = os.path.join(tmp, "app.dfu")
    subprocess.run([CLI, "convert", "--vid", "0x1209", "--pid", "0x5bf0", payload, dfu], check=True)
    r = sim(tmp, CLI, "flash", dfu, profile="dfu11")
    assert r.status == 0, r
    assert r.memory()[:50000] == pattern(50000, 7)


@test
def runtime_device_is_detached_first(tmp):
    if skip_without_sim():
        return "skip"
    fw, writes = micropython_like(tmp)
    r = sim(tmp, CLI, "detach", profile="runtime")
    assert r.status == 0 and "now in DFU mode" in r.out, r
    r = sim(tmp, CLI, "flash", fw, profile="runtime")
    assert r.status == 0, r
    assert r.memory() == expected_memory(b"\xff" * F405_SIZE, F405_BASE, writes, F405_SECTORS)


if __name__ == "__main__":
    run()
