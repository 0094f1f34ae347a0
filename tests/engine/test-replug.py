#!/usr/bin/env python3
"""A board unplugged and plugged back in (defuse-sim's "unplug" fault and
--control): in each phase of a flash, defuse-cli says once that the device
went away (exit 7; in the leave step, after the verify, the firmware is in
place: exit 0, and it says how to start it) and the next flash after the
replug verifies; in bench
mode, --repeat flashes a replugged board again, and a board whose flash
failed is retried when it is plugged back in.  The faults pick the moment,
the runner answers each plug once done: nothing waits on a clock."""
import concurrent.futures
import os
import re
import sys

from simtest import CLI, F405_BASE, F405_SECTORS, F405_SIZE, available, expected_memory, pattern, sim, write
from taptest import run, test

import simrun

HERE = os.path.dirname(os.path.abspath(__file__))
DRIVER = os.path.join(HERE, "bench-driver.py")
SIMCTL = os.path.join(HERE, "..", "sim", "simctl.py")
GONE = 7  # README's exit status: the device went away or stopped answering


def firmware(tmp, size=40000, seed=1):
    data = pattern(size, seed)
    path = write(os.path.join(tmp, "fw.dfu"),
                 simrun.dfuse_file([(0, "Internal Flash", [(F405_BASE, data)])], 0x0483, 0xDF11))
    return path, [(F405_BASE, data)]


def flash_replug_flash(tmp, fault, profile="stm32f405", flash_in=None):
    """defuse-cli flash (the fault unplugs the board), plug it back in,
    defuse-cli flash again: the exit statuses and outputs in tmp/first.*,
    tmp/second.*"""
    script = (f'"{CLI}" flash fw.dfu > first.out 2> first.err; echo $? > first.status; '
              f'"{sys.executable}" "{SIMCTL}" plug 1 > plug.out 2>&1 || exit 99; '
              f'"{CLI}" flash fw.dfu > second.out 2> second.err; echo $? > second.status')
    r = simrun.sim(tmp, script, shell=True, profile=profile, faults=[fault], control=True, flash_in=flash_in)

    def read(name):
        try:
            with open(os.path.join(tmp, name)) as f:
                return f.read()
        except OSError:
            return ""
    return r, {name: read(name) for name in ("first.status", "first.err", "second.status", "second.err",
                                              "plug.out")}


def uploads_in_a_flash(tmp, flash_in):
    """how many UPLOADs a whole flash makes (the last ones verify)"""
    r = sim(tmp, CLI, "flash", "fw.dfu", flash_in=flash_in)
    assert r.status == 0, r
    return r.stats()["by_request"]["DFU_UPLOAD"]


@test
def device_gone_in_each_phase_then_replugged(tmp):
    if not available():
        return "skip"
    fw, writes = firmware(tmp)
    # an old firmware in place: the sectors need erasing (a blank board's
    # sectors read erased and are not erased again)
    before = pattern(F405_SIZE, 5)
    flash_in = write(os.path.join(tmp, "before.bin"), before)
    uploads = uploads_in_a_flash(tmp, flash_in)
    # phase -> (fault, what the one error line says, profile)
    phases = {
        "erase": ("unplug@erase=2", r"erasing the sector at 0x080\w+: .*the device is gone", "stm32f405"),
        "write": ("unplug@write=5", r"writing 2048 bytes at 0x080\w+: .*the device is gone", "stm32f405"),
        "verify": (f"unplug@upload={uploads - 1}", r"verifying: reading at 0x080\w+: .*the device is gone", "stm32f405"),
        "leave": ("unplug@leave=1", None, "stm32f405"),
        "micropython switch": ("unplug@bootloader=1", r"no DFU device appeared on its USB port \(1-1\)", "pyboard"),
    }
    # each waits for its board to come back (5 s, 8 s) before it gives up:
    # run side by side, each in a folder of its own
    dirs = {}
    for phase in phases:
        dirs[phase] = os.path.join(tmp, phase.replace(" ", "-"))
        os.mkdir(dirs[phase])
        write(os.path.join(dirs[phase], "fw.dfu"), open(fw, "rb").read())
    with concurrent.futures.ThreadPoolExecutor(len(phases)) as pool:
        results = {phase: pool.submit(flash_replug_flash, dirs[phase], fault, profile, flash_in)
                   for phase, (fault, _, profile) in phases.items()}
    want = expected_memory(before, F405_BASE, writes, F405_SECTORS)
    for phase, (fault, message, _) in phases.items():
        r, out = results[phase].result()
        assert r.status == 0, (phase, r, out)
        # one message, on its own line, saying what went
        errors = [line for line in out["first.err"].splitlines() if line.startswith("defuse-cli:")]
        if phase == "leave":
            # all was written and verified before: flashed, to be started by a replug
            first_out = open(os.path.join(dirs[phase], "first.out")).read()
            assert out["first.status"].strip() == "0" and not errors, (phase, out)
            assert "went away before it was told to start" in first_out, first_out
        else:
            assert out["first.status"].strip() == str(GONE), (phase, out)
            assert len(errors) == 1 and re.search(message, errors[0]), (phase, out["first.err"])
        assert re.fullmatch(r"/dev/bus/usb/001/\d{3}\n", out["plug.out"]), (phase, out)
        # the next flash after the replug recovers and verifies
        assert out["second.status"].strip() == "0", (phase, out, r)
        assert r.memory() == want, (phase, simrun.first_difference(r.memory(), want, F405_BASE))
        assert "verified" in open(os.path.join(dirs[phase], "second.out")).read(), phase


def bench(tmp, steps, cli_args, **options):
    return sim(tmp, sys.executable, DRIVER, *steps, "--", CLI, "flash", "--wait", *cli_args,
               control=True, **options)


def records(tmp):
    import json
    with open(os.path.join(tmp, "bench.jsonl")) as f:
        return [json.loads(line) for line in f]


def writes_at_base(r):
    return len(re.findall(r" write\s+\d+ bytes at 0x%08x" % F405_BASE, r.log(), re.I))


@test
def repeat_flashes_a_replugged_board_again(tmp):
    if not available():
        return "skip"
    fw, writes = firmware(tmp, size=8000)
    # --no-leave: the board stays in DFU mode, so its removal is the unplug
    steps = ["unplug=1:^board 1: ok", "plug=1:^board 1: ok"]
    r = bench(tmp, steps, ["--repeat", "--no-leave", "--count", "2", "--log", "bench.jsonl", fw])
    assert r.status == 0, r
    assert "2 passed, 0 failed" in r.out, r
    rows = records(tmp)
    assert [(row["path"], row["result"], row["verify"]) for row in rows] == [("1-1", "ok", "ok")] * 2, rows
    assert writes_at_base(r) == 2, r
    assert r.memory() == expected_memory(b"\xff" * F405_SIZE, F405_BASE, writes, F405_SECTORS)


@test
def without_repeat_a_replugged_board_is_left_alone(tmp):
    if not available():
        return "skip"
    fw, _ = firmware(tmp, size=8000)
    steps = ["unplug=1:^board 1: ok", "plug=1:^board 1: ok", "interrupt:already flashed in this run"]
    r = bench(tmp, steps, ["--no-leave", "--log", "bench.jsonl", fw])
    assert r.status == 0, r
    assert [row["result"] for row in records(tmp)] == ["ok"], r
    assert writes_at_base(r) == 1, r


@test
def a_failed_board_is_retried_when_replugged(tmp):
    if not available():
        return "skip"
    fw, writes = firmware(tmp)
    # unplugged in its fifth write: the job waits for it (5 s), gives up;
    # plugged back in, the bench flashes it again
    r = bench(tmp, ["plug=1:^board 1: FAILED"], ["--count", "2", "--log", "bench.jsonl", fw],
              faults=["unplug@write=5"])
    assert r.status == GONE, r  # a board failed because its device went away
    assert "1 passed, 1 failed" in r.out, r
    rows = records(tmp)
    assert [(row["path"], row["result"]) for row in rows] == [("1-1", "failed"), ("1-1", "ok")], rows
    assert "gone" in rows[0]["error"] and rows[1]["verify"] == "ok", rows
    assert r.memory() == expected_memory(b"\xff" * F405_SIZE, F405_BASE, writes, F405_SECTORS)


run()
