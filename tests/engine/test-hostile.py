#!/usr/bin/env python3
"""Devices whose answers are wrong on purpose (issue 20): a broken,
counterfeit or hostile bootloader is input like a bad file.  Each variant
is a real profile with one value changed, written here, so the test says
what it changes: a bwPollTimeout of 4.6 hours, a wTransferSize Linux
cannot send or no flash can use, a device that stays busy.  Each run ends
in a finished flash or one clear message naming the device's fault, with
a non-zero exit and nothing written outside the file; no test waits on a
wall clock."""
import json
import os
import subprocess

from simtest import CLI, available, ctrl_c_in_phase, sim, write
from simrun import PROFILES
from taptest import pattern, run, test


def variant(tmp, base, change):
    """A copy of profile base with change(profile) applied, as a .json path."""
    with open(os.path.join(PROFILES, base + ".json")) as f:
        profile = json.load(f)
    change(profile)
    return write(os.path.join(tmp, f"{base}-variant.json"), json.dumps(profile).encode())


def stuck(profile):
    """Every write keeps it busy for an hour, and it asks for 4.6 h."""
    profile["poll_timeout_ms"] = {k: 0xFFFFFF for k in profile["poll_timeout_ms"]}
    profile["timing"]["program_us"] = 3600e6
    # answers dfuDNBUSY: a device that held (NAKed) the request would hold
    # defuse-sim's ioctl, which no host timeout can end (libusb's timeout
    # cancels a URB the kernel has taken: the sim never gives it back)
    profile.setdefault("quirks", {}).update(getstatus_while_busy="answer", getstatus_while_writing="answer")


def plain_firmware(tmp, size=20000):
    payload = write(os.path.join(tmp, "payload.bin"), pattern(size, 5))
    out = os.path.join(tmp, "payload.dfu")
    subprocess.run([CLI, "convert", payload, out, "--vid", "0x1209", "--pid", "0x5bf0"], check=True,
                   capture_output=True)
    return out, pattern(size, 5)


def dfuse_firmware(tmp, size=40000):
    data = write(os.path.join(tmp, "app.bin"), pattern(size, 6))
    out = os.path.join(tmp, "app.dfu")
    subprocess.run([CLI, "pack", "-o", out, "--vid", "0x0483", "--pid", "0xdf11", f"0x08000000:{data}"],
                   check=True)
    return out, pattern(size, 6)


def one_message(r):
    assert r.err.count("defuse-cli:") == 1 and "CRITICAL" not in r.err and "Bail out" not in r.err, r


def skip():
    return not available()


@test
def plain_device_write_fault_finishes(tmp):
    """It aborted the CLI and the window (df_job_sector_of, SIGABRT)."""
    if skip():
        return "skip"
    fw, data = plain_firmware(tmp)
    for fault in ("status=errWRITE@write=5", "status=errVERIFY@write=3", "stall@dnload=7", "stall@getstatus=9"):
        r = sim(tmp, CLI, "flash", fw, profile="dfu11", faults=[fault])
        assert r.status == 0, (fault, r)
        assert r.memory()[:len(data)] == data, fault
        # a stalled status is asked again; the rest start the download again
        if "getstatus" not in fault:
            assert "retrying" in r.out and "starting the download again" in r.out, (fault, r)


@test
def plain_device_verify_reads_back_without_writing(tmp):
    """The verify of a manifestation-tolerant plain device (U-Boot) sent a
    DfuSe SET_ADDRESS, which the device took as data."""
    if skip():
        return "skip"
    fw, data = plain_firmware(tmp, 65533)
    before = write(os.path.join(tmp, "before.bin"), pattern(512 * 1024, 77))
    fw_ids = os.path.join(tmp, "uboot.dfu")
    subprocess.run([CLI, "convert", os.path.join(tmp, "payload.bin"), fw_ids, "--vid", "0x0483", "--pid", "0xdf11"],
                   check=True, capture_output=True)
    r = sim(tmp, CLI, "flash", fw_ids, profile="u-boot-stm32mp1", flash_in=before)
    assert r.status == 0, r
    assert r.memory()[:len(data)] == data, "the partition does not hold the payload"
    assert "verified" in r.out, r
    assert r.stats()["by_request"]["DFU_UPLOAD"] > 0, "nothing was read back"


@test
def long_poll_timeout_is_asked_sooner(tmp):
    """bwPollTimeout 0xFFFFFF (4.6 h) on every answer: the flash finishes,
    the transcript says so once."""
    if skip():
        return "skip"

    def long_polls(profile):
        profile["poll_timeout_ms"] = {k: 0xFFFFFF for k in profile["poll_timeout_ms"]}

    fw, data = plain_firmware(tmp)
    r = sim(tmp, CLI, "flash", fw, profile=variant(tmp, "dfu11", long_polls), scale="1")
    assert r.status == 0, r
    assert r.memory()[:len(data)] == data
    assert r.out.count("asked to wait 16777215 ms") == 1, r
    fw, data = dfuse_firmware(tmp)
    r = sim(tmp, CLI, "flash", fw, profile=variant(tmp, "stm32f411", long_polls), scale="1")
    assert r.status == 0, r
    assert r.memory()[:len(data)] == data
    assert r.out.count("asked to wait 16777215 ms") == 1, r


@test
def transfer_size_over_linux_limit_is_capped(tmp):
    """wTransferSize 65535: Linux usbfs sends at most 4096 bytes in a
    control transfer; dfu-util caps the same way."""
    if skip():
        return "skip"

    def huge(profile):
        profile["dfu"]["transfer_size"] = 65535

    fw, data = plain_firmware(tmp)
    r = sim(tmp, CLI, "flash", fw, profile=variant(tmp, "dfu11", huge))
    assert r.status == 0, r
    assert r.memory()[:len(data)] == data
    assert "transfer size of 65535 bytes" in r.out and "4096" in r.out, r
    assert "retrying" not in r.out, r
    fw, data = dfuse_firmware(tmp)
    r = sim(tmp, CLI, "flash", fw, profile=variant(tmp, "stm32f405", huge))
    assert r.status == 0, r
    assert r.memory()[:len(data)] == data
    assert "retrying" not in r.out, r


@test
def transfer_size_too_small_is_refused(tmp):
    """wTransferSize 1 or 4: refused before anything is sent, the message
    blames the descriptor, not the cable."""
    if skip():
        return "skip"
    for base, size in (("dfu11", 1), ("stm32f405", 4)):
        def tiny(profile, size=size):
            profile["dfu"]["transfer_size"] = size

        fw, _ = plain_firmware(tmp) if base == "dfu11" else dfuse_firmware(tmp)
        r = sim(tmp, CLI, "flash", fw, profile=variant(tmp, base, tiny))
        assert r.status == 6, (base, r)
        one_message(r)
        assert "wTransferSize" in r.err and "check the cable" not in r.err, r
        assert "DFU_DNLOAD" not in r.stats()["by_request"], ("something was sent", r)
        r = sim(tmp, CLI, "read", os.path.join(tmp, "back.bin"), profile=variant(tmp, base, tiny))
        assert r.status != 0 and "wTransferSize" in r.err, r


@test
def device_that_stays_busy_ends_with_an_answer(tmp):
    """Every write keeps it busy for hours and it asks for 4.6 h: the flash
    ends by itself, with one message about the device."""
    if skip():
        return "skip"

    fw, data = plain_firmware(tmp)
    before = write(os.path.join(tmp, "before.bin"), pattern(256 * 1024, 9))
    r = sim(tmp, CLI, "flash", fw, profile=variant(tmp, "dfu11", stuck), scale="1", flash_in=before)
    assert r.status == 6, r
    one_message(r)
    assert "stayed busy" in r.err and "check the cable" not in r.err, r
    assert r.memory()[len(data) + 1024:] == pattern(256 * 1024, 9)[len(data) + 1024:], "written past the file"


@test
def ctrl_c_ends_a_wait_on_a_busy_device(tmp):
    """Ctrl+C while the device asks for hours: cancelled (not ended by a
    deadline), with one message."""
    if skip():
        return "skip"

    fw, _ = plain_firmware(tmp)
    r = ctrl_c_in_phase(tmp, "write", fw, profile=variant(tmp, "dfu11", stuck), scale="1")
    assert "flash exit 8" in r.out, r
    events = [json.loads(line) for line in open(os.path.join(tmp, "first.log"))]
    assert events[-1]["kind"] == "cancelled", events[-1]
    assert open(os.path.join(tmp, "first.err")).read().count("defuse-cli:") == 1


if __name__ == "__main__":
    run()
