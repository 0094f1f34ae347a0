#!/usr/bin/env python3
"""Bench mode, defuse-cli flash --wait, against virtual boards plugged in
while it runs (defuse-sim --plug-later; bench-driver.py plugs the next
board when the CLI says it started the previous one, no sleeps): each
board flashed exactly once, memories exact, one JSON Lines record per
board, failures kept to their board, other devices left alone."""
import datetime
import hashlib
import json
import os
import re
import sys

from simtest import CLI, F405_BASE, F405_SECTORS, F405_SIZE, available, expected_memory, pattern, sim, write
from taptest import cli, run, test

import simrun

DRIVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench-driver.py")
FIELDS = {"time", "board", "serial", "path", "vid", "pid", "file", "sha256", "result", "seconds", "bytes", "verify"}


def firmware(tmp, size=40000, seed=1, base=F405_BASE):
    data = pattern(size, seed)
    path = os.path.join(tmp, "fw.dfu")
    write(path, simrun.dfuse_file([(0, "Internal Flash", [(base, data)])], 0x0483, 0xDF11))
    return path, [(base, data)]


def bench(tmp, steps, cli_args, **options):
    """defuse-cli flash --wait CLI_ARGS under defuse-sim, driven by steps."""
    return sim(tmp, sys.executable, DRIVER, *steps, "--", CLI, "flash", "--wait", *cli_args, **options)


def records(tmp, name="bench.jsonl"):
    with open(os.path.join(tmp, name)) as f:
        return [json.loads(line) for line in f]


def device_logs(r):
    """{device number: its event log lines} from defuse-sim --log"""
    logs, current = {}, None
    for line in r.log().splitlines():
        m = re.match(r"== device (\d+) ", line)
        if m:
            current = logs.setdefault(int(m.group(1)), [])
        elif current is not None:
            current.append(line)
    return logs


def erased(lines):
    return [int(m.group(1), 16) for m in (re.search(r" erase\s+0x\w+, sector 0x(\w+)", l) for l in lines) if m]


def written(lines):
    return [int(m.group(1), 16) for m in (re.search(r" write\s+\d+ bytes at 0x(\w+)", l) for l in lines) if m]


def check_record(row, fw, writes):
    assert FIELDS <= set(row), row
    assert row["result"] == "ok" and "error" not in row, row
    assert (row["vid"], row["pid"]) == (0x0483, 0xDF11), row
    assert row["file"] == fw and row["sha256"] == hashlib.sha256(open(fw, "rb").read()).hexdigest(), row
    assert row["bytes"] == sum(len(d) for _, d in writes) and row["verify"] == "ok", row
    assert row["seconds"] > 0, row
    assert datetime.datetime.fromisoformat(row["time"].replace("Z", "+00:00")).tzinfo is not None, row


@test
def four_boards_plugged_in_during_the_run(tmp):
    if not available():
        return "skip"
    fw, writes = firmware(tmp)
    steps = ["plug:^board 1: flashing", "plug:^board 2: flashing", "plug:^board 3: flashing"]
    r = bench(tmp, steps, ["--count", "4", "--log", "bench.jsonl", fw], count=4, extra=["--plug-later", "3"])
    # --count 4 ended the run: the driver never pressed Ctrl+C
    assert r.status == 0, r
    assert "4 passed, 0 failed" in r.out, r
    # each board arrived after the run had started flashing the one before
    plugged = re.findall(r"device (\d+): plugged in \(SIGUSR1\)", r.log())
    assert plugged == ["2", "3", "4"], r
    want = expected_memory(b"\xff" * F405_SIZE, F405_BASE, writes, F405_SECTORS)
    logs = device_logs(r)
    for i in range(1, 5):
        assert r.memory(i) == want, (i, simrun.first_difference(r.memory(i), want, F405_BASE))
        # one pass: boards fresh from the factory read erased, so nothing is
        # erased (the blank check), and each block is written once
        assert erased(logs[i]) == [], (i, logs[i])
        assert written(logs[i]).count(F405_BASE) == 1, (i, logs[i])
    rows = records(tmp)
    assert len(rows) == 4, rows
    for row in rows:
        check_record(row, fw, writes)
    assert sorted(row["path"] for row in rows) == ["1-1", "1-2", "1-3", "1-4"], rows
    assert len({row["serial"] for row in rows}) == 4, rows


@test
def same_serial_on_two_ports_is_two_boards(tmp):
    if not available():
        return "skip"
    base, size, sectors = simrun.main_flash(simrun.profile("stm32f072"))
    fw, writes = firmware(tmp, size=6000, base=base)
    r = bench(tmp, ["plug:^board 1: flashing"], ["--count", "2", "--log", "bench.jsonl", fw],
              profile="stm32f072", count=2, extra=["--plug-later", "1"])
    assert r.status == 0, r
    rows = records(tmp)
    assert [(row["serial"], row["result"]) for row in rows] == [("FFFFFFFEFFFF", "ok")] * 2, rows
    assert sorted(row["path"] for row in rows) == ["1-1", "1-2"], rows
    want = simrun.expected_after_flash(b"\xff" * size, base, sectors, writes)
    for i in (1, 2):
        assert r.memory(i) == want, (i, simrun.first_difference(r.memory(i), want, base))


@test
def a_failing_board_stops_no_other(tmp):
    if not available():
        return "skip"
    fw, writes = firmware(tmp)
    # board 1 stops answering once (the host waits out its 5 s timeout),
    # then refuses every write: boards 2 and 3, plugged in meanwhile,
    # finish long before it fails
    steps = ["plug:^board 1: flashing", "plug:^board 2: flashing"]
    r = bench(tmp, steps, ["--count", "3", "--log", "bench.jsonl", fw], count=3, extra=["--plug-later", "2"],
              faults=["1:no-answer=1@dnload=3", "1:status=errWRITE@write=2+"])
    assert r.status == 6, r  # a board failed: the device reported an error
    assert "2 passed, 1 failed" in r.out, r
    finished = re.findall(r"^board (\d): (ok|FAILED)", r.out, re.M)
    assert finished[-1] == ("1", "FAILED") and sorted(finished[:2]) == [("2", "ok"), ("3", "ok")], r
    rows = {row["path"]: row for row in records(tmp)}
    assert len(rows) == 3, rows
    assert rows["1-1"]["result"] == "failed" and "errWRITE" in rows["1-1"]["error"], rows
    assert rows["1-1"]["verify"] == "not-reached" and rows["1-1"]["bytes"] == 0, rows
    want = expected_memory(b"\xff" * F405_SIZE, F405_BASE, writes, F405_SECTORS)
    for i, path in ((2, "1-2"), (3, "1-3")):
        check_record(rows[path], fw, writes)
        assert r.memory(i) == want, i


@test
def a_device_of_another_kind_is_left_alone(tmp):
    if not available():
        return "skip"
    fw, writes = firmware(tmp)
    # device 2 is a plain DFU 1.1 device (1209:5bf0) plugged in during the run
    steps = ["plug:^board 1: flashing", "plug:^board 1: flashing"]
    r = bench(tmp, steps, ["--count", "2", "--log", "bench.jsonl", fw], count=3,
              profile="stm32f405,dfu11,stm32f405", extra=["--plug-later", "2"])
    assert r.status == 0, r
    rows = records(tmp)
    assert sorted(row["path"] for row in rows) == ["1-1", "1-3"], rows
    assert "1209:5bf0" not in r.out, r
    untouched = [line for line in device_logs(r)[2] if re.search(r" (dnload|erase|write|upload|set_interface)\s", line)]
    assert untouched == [], untouched
    want = expected_memory(b"\xff" * F405_SIZE, F405_BASE, writes, F405_SECTORS)
    assert r.memory(1) == want and r.memory(3) == want


@test
def a_board_back_in_dfu_mode_after_leave_is_not_flashed_again(tmp):
    if not available():
        return "skip"
    # an STM32 that comes back in its bootloader after leave, as L4/G0
    # parts do when they find the flash empty at reset, or BOOT0 held high
    prof = simrun.profile("stm32f405")
    prof["after_leave"] = "bootloader"
    # off the bus for 1 s (at --time-scale 0.2): long enough for the bench
    # to see it go, within the 5 s in which a board back on its port is
    # the same board
    prof["timing"]["reconnect_ms"] = 5000
    prof_path = write(os.path.join(tmp, "stays.json"), json.dumps(prof).encode())
    fw, writes = firmware(tmp, size=8000)
    r = bench(tmp, ["interrupt:^left alone: .*came back in DFU mode"], ["--log", "bench.jsonl", fw],
              profile=prof_path, scale="0.2")
    # no --count: Ctrl+C is how the run ends, and it ends well
    assert r.status == 0, r
    assert len(records(tmp)) == 1, r
    assert re.findall(r"connected as", r.log()) != [] and written(device_logs(r)[1]).count(F405_BASE) == 1, r
    assert r.memory() == expected_memory(b"\xff" * F405_SIZE, F405_BASE, writes, F405_SECTORS)


@test
def ctrl_c_lets_the_boards_in_progress_finish(tmp):
    if not available():
        return "skip"
    fw, writes = firmware(tmp, size=200000)
    r = bench(tmp, ["interrupt:^board 1: flashing"], ["--log", "bench.jsonl", fw], scale="0.3")
    assert r.status == 0, r
    assert "Taking no more boards; waiting for the one in progress" in r.out, r
    assert [row["result"] for row in records(tmp)] == ["ok"], r
    assert r.memory() == expected_memory(b"\xff" * F405_SIZE, F405_BASE, writes, F405_SECTORS)


@test
def a_second_ctrl_c_cancels_them_safely(tmp):
    if not available():
        return "skip"
    fw, _ = firmware(tmp, size=200000)
    steps = ["interrupt:^board 1: flashing", "interrupt:^Taking no more boards"]
    r = bench(tmp, steps, ["--count", "3", "--log", "bench.jsonl", fw], scale="0.3")
    assert r.status == 8, r  # cancelled
    rows = records(tmp)
    assert [row["result"] for row in rows] == ["failed"] and "Cancelled" in rows[0]["error"], r
    assert "The device is back in dfuIDLE" in rows[0]["error"], rows


@test
def bench_usage_errors(tmp):
    raw = write(os.path.join(tmp, "app.bin"), pattern(1024, 3))
    r = cli("flash", "--wait", "--address", "0x08000000", raw, expect=2)
    assert "names no USB vendor and product id" in r.stderr, r.stderr
    fw, _ = firmware(tmp)
    r = cli("flash", "--count", "2", fw, expect=2)
    assert "--count" in r.stderr, r.stderr
    r = cli("flash", "--wait", "--backup", "b.dfu", fw, expect=2)
    assert "--backup" in r.stderr, r.stderr
    # a log under a file, not a folder: one message, exit 1, no device touched
    r = cli("flash", "--wait", "--log", os.path.join(fw, "bench.jsonl"), fw, expect=1)
    assert "bench log" in r.stderr, r.stderr

run()
