#!/usr/bin/env python3
"""MicroPython boards on their serial port (defuse-sim --profile pyboard:
a PYBv1.1 whose CDC-ACM port is a umockdev pty answering the raw REPL):
defuse-cli lists them with what they run, and flashes them by switching
them to DFU mode with machine.bootloader(), following them by port path,
leaving, and asking them again.  Ports that do not answer like MicroPython
and boards that do not reach DFU mode give one clear message and stay as
they were."""
import json
import os
import subprocess

from simtest import CLI, simrun, F405_SIZE, available, expected_memory, F405_SECTORS, pattern, sim, write
from taptest import run, test

BANNER = b"MicroPython v1.25.0 on 2025-04-15; PYBv1.1 with STM32F405RG\0"
FS_START, FS_END = 0x08004000, 0x0801FFFF


def firmware(tmp, touch_filesystem=False):
    """A pyboard build as MicroPython makes it (ports/stm32: ISR text at
    0x08000000, the rest at 0x08020000, dfu.py's 0483:df11 suffix), with
    its banner in flash; or one whose first element runs into sector 1."""
    first = pattern(14776 if not touch_filesystem else 0x6000, 1)
    text = bytearray(pattern(306928, 2))
    text[4096:4096 + len(BANNER)] = BANNER
    a = write(os.path.join(tmp, "p0.bin"), first)
    b = write(os.path.join(tmp, "p1.bin"), bytes(text))
    out = os.path.join(tmp, "firmware.dfu")
    subprocess.run([CLI, "pack", "-o", out, "--vid", "0x0483", "--pid", "0xdf11",
                    f"0x08000000:{a}", f"0x08020000:{b}"], check=True)
    return out, [(0x08000000, first), (0x08020000, bytes(text))]


def with_files(tmp):
    """The board's flash before: an old firmware and the user's files."""
    mem = bytearray(b"\xff" * F405_SIZE)
    mem[0:0x3000] = pattern(0x3000, 7)
    mem[FS_START - 0x08000000:FS_END + 1 - 0x08000000] = pattern(FS_END + 1 - FS_START, 99)
    mem[0x20000:0x40000] = pattern(0x20000, 8)
    return write(os.path.join(tmp, "before.bin"), bytes(mem)), bytes(mem)


def bootloader_ran(r):
    return "machine.bootloader()" in r.log()


@test
def list_shows_the_board_and_its_version(tmp):
    if not available():
        return "skip"
    r = sim(tmp, CLI, "list", "--json", profile="pyboard")
    assert r.status == 0, r
    boards = json.loads(r.out)
    assert len(boards) == 1, boards
    b = boards[0]
    assert (b["vid"], b["pid"], b["mode"]) == (0xF055, 0x9800, "micropython"), b
    assert b["micropython"] == {"version": "1.24.1", "machine": "PYBv1.1 with STM32F405RG",
                                "filesystem_start": FS_START, "filesystem_end": FS_END}, b
    assert b["port"] == "/dev/ttyACM0" and b["path"] == "1-1" and b["error"] is None, b
    assert b["product"] == "Pyboard Virtual Comm Port in FS Mode", b
    r = sim(tmp, CLI, "list", profile="pyboard")
    assert r.status == 0, r
    assert "MicroPython v1.24.1 on PYBv1.1 with STM32F405RG, serial port /dev/ttyACM0" in r.out, r
    # asking left the board in the friendly REPL and on the bus
    assert not bootloader_ran(r) and "disconnected" not in r.log(), r


@test
def flash_switches_flashes_and_the_board_comes_back(tmp):
    if not available():
        return "skip"
    fw, writes = firmware(tmp)
    before_path, before = with_files(tmp)
    r = sim(tmp, CLI, "flash", fw, profile="pyboard", flash_in=before_path)
    assert r.status == 0, r
    lines = r.out.splitlines()
    assert lines[0] == "MicroPython v1.24.1 on PYBv1.1 with STM32F405RG on /dev/ttyACM0: " \
                       "switching it to DFU mode (machine.bootloader())", r
    assert "are kept: the file does not touch them" in lines[1] and "0x08004000-0x0801ffff" in lines[1], r
    assert lines[-1] == "Now running MicroPython v1.25.0 on PYBv1.1 with STM32F405RG (/dev/ttyACM1)", r
    assert r.memory() == expected_memory(before, 0x08000000, writes, F405_SECTORS), r
    assert r.memory()[FS_START - 0x08000000:FS_END + 1 - 0x08000000] == before[FS_START - 0x08000000:FS_END + 1 - 0x08000000]
    log = r.log()
    assert "connected as /dev/bus/usb/001/003 (0483:df11" in log, r
    assert "serial port /dev/ttyACM0 gone" in log, r
    assert "serial port /dev/ttyACM1 (MicroPython v1.25.0, PYBv1.1 with STM32F405RG)" in log, r


@test
def flash_that_overwrites_the_files_says_so_first(tmp):
    if not available():
        return "skip"
    fw, writes = firmware(tmp, touch_filesystem=True)
    before_path, before = with_files(tmp)
    r = sim(tmp, CLI, "flash", "--device", "/dev/ttyACM0", fw, profile="pyboard", flash_in=before_path)
    assert r.status == 0, r
    warning = r.out.splitlines()[1]
    assert warning.startswith("This erases the board's files: the file overwrites its internal filesystem "
                              "at 0x08004000-0x0801ffff"), r
    assert r.out.index("This erases") < r.out.index("Erasing"), r
    assert r.memory() == expected_memory(before, 0x08000000, writes, F405_SECTORS), r


@test
def detach_sends_the_board_to_its_bootloader(tmp):
    if not available():
        return "skip"
    r = sim(tmp, CLI, "detach", "--device", "/dev/ttyACM0", profile="pyboard")
    assert r.status == 0, r
    # the board by the name MicroPython gives it, not its USB product string
    assert r.out.strip() == ("PYBv1.1 with STM32F405RG (f055:9800, serial 3276365C3235) at 1-1 is now "
                             "in DFU mode: STM32F4 system bootloader, 1 MiB (0483:df11, serial 3276365C3235) at 1-1"), r
    assert bootloader_ran(r), r


def flash_with_fault(tmp, fault):
    """defuse-cli flash on a pyboard with files, under a fault: the run,
    the memory before, and the one error line."""
    fw, _ = firmware(tmp)
    before_path, before = with_files(tmp)
    r = sim(tmp, CLI, "flash", fw, profile="pyboard", flash_in=before_path, faults=[fault])
    errors = [line for line in r.err.splitlines() if line.startswith("defuse-cli:")]
    assert len(errors) == 1, r
    # the board's memory is as it was
    assert r.memory() == before, r
    return r, errors[0]


def assert_not_switched(r):
    assert not bootloader_ran(r), r
    assert "disconnected" not in r.log(), r


@test
def port_answering_garbage(tmp):
    if not available():
        return "skip"
    r, error = flash_with_fault(tmp, "repl=garbage")
    assert r.status == 6, r
    assert "/dev/ttyACM0 does not answer like MicroPython's REPL (it sent “" in error, r
    assert_not_switched(r)
    r = sim(tmp, CLI, "list", "--json", profile="pyboard", faults=["repl=garbage"])
    assert r.status == 0, r
    b = json.loads(r.out)[0]
    assert b["micropython"] is None and "does not answer like MicroPython" in b["error"], b


@test
def port_that_never_answers(tmp):
    if not available():
        return "skip"
    r, error = flash_with_fault(tmp, "repl=silent")
    assert r.status == 7, r
    assert "/dev/ttyACM0 does not answer:" in error, r
    assert_not_switched(r)


@test
def board_that_does_not_reach_dfu_mode(tmp):
    if not available():
        return "skip"
    r, error = flash_with_fault(tmp, "no-bootloader")
    assert r.status == 7, r
    assert "did not come up in DFU mode within 8 s: it restarted and runs its firmware again (on /dev/ttyACM1)" \
        in error, r
    # back as it was: running MicroPython again
    assert "back as f055:9800" in r.log(), r


@test
def another_dfu_device_plugged_in_during_the_switch_is_not_flashed(tmp):
    if not available():
        return "skip"
    fw, writes = firmware(tmp)
    script = (f"R=$PPID; {CLI} flash {fw} > out.txt 2> err.txt & P=$!; "
              "until grep -q switching out.txt; do sleep 0.01; done; kill -USR1 $R; wait $P; S=$?; "
              "cat out.txt; cat err.txt >&2; exit $S")
    r = simrun.sim(tmp, script, shell=True, profile="pyboard,stm32f405", count=2,
                   extra=["--plug-later", "1"], scale="0.1")
    assert r.status == 0, r
    log = r.log()
    # the other board was on the bus before the pyboard's bootloader
    assert log.index("device 2: plugged in (SIGUSR1)") < log.index("device 1: connected as /dev/bus/usb/001/004 (0483:df11"), r
    assert "Now running MicroPython v1.25.0" in r.out, r
    assert r.memory(1) == expected_memory(b"\xff" * F405_SIZE, 0x08000000, writes, F405_SECTORS), r
    assert r.memory(2) == b"\xff" * F405_SIZE, r
    assert "at 1-2" not in r.out, r


if __name__ == "__main__":
    run()
