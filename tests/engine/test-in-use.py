#!/usr/bin/env python3
"""Two programs, one board: while defuse-cli flashes a virtual STM32F405, a
second defuse-cli (flash, then read) reaches for the same board.  The
second is turned away at once: exit 6, kind "in-use" in --json, one
"defuse-cli:" line; the first finishes with its memory verified.  A driver
run under defuse-sim starts the second when the first prints its first
"Writing" line, so nothing waits on a clock."""
import json
import os
import re
import sys

from simtest import CLI, F405_BASE, F405_SECTORS, F405_SIZE, available, expected_memory, micropython_like, sim, write
from taptest import run, test

DEVICE_ERROR = 6  # README's exit status: device error

# under the runner: the first flash, the second flash and a read while the
# first writes; what each said, as JSON on stdout
DRIVER = r'''
import json, subprocess, sys
cli, fw = sys.argv[1], sys.argv[2]
first = subprocess.Popen([cli, "flash", fw], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
seen = []
for line in first.stdout:
    seen.append(line)
    if "Writing" in line:
        break
second = subprocess.run([cli, "flash", "--json", fw], capture_output=True, text=True)
read = subprocess.run([cli, "read", "-l", "4096", "back.bin"], capture_output=True, text=True)
# the first was still flashing: it had not printed its result yet
running = first.poll() is None
out, err = first.communicate()
print(json.dumps({"first": [first.returncode, "".join(seen) + out, err], "running": running,
                  "second": [second.returncode, second.stdout, second.stderr],
                  "read": [read.returncode, read.stdout, read.stderr]}))
'''


def refused(result, what):
    status, out, err = result
    lines = err.splitlines()
    assert status == DEVICE_ERROR, (what, result)
    assert len(lines) == 1 and lines[0].startswith("defuse-cli: "), (what, err)
    assert "in use by another program" in lines[0], (what, err)
    return out


@test
def second_cli_is_told_the_board_is_in_use(tmp):
    if not available():
        return "skip"
    fw, writes = micropython_like(tmp)
    driver = write(os.path.join(tmp, "driver.py"), DRIVER.encode())
    # at the profile's own timings the write takes seconds: room for both
    r = sim(tmp, sys.executable, driver, CLI, fw, scale="1")
    assert r.status == 0, r
    result = json.loads(r.out)
    assert result["running"], ("the first flash ended before the second was refused", result)

    events = [json.loads(line) for line in refused(result["second"], "flash").splitlines() if line.startswith("{")]
    assert events and events[-1]["event"] == "result", result["second"]
    assert (events[-1]["ok"], events[-1]["kind"], events[-1]["exit"]) == (False, "in-use", DEVICE_ERROR), events[-1]
    refused(result["read"], "read")
    assert not os.path.exists(os.path.join(tmp, "back.bin")), "a refused read wrote its file"

    status, out, err = result["first"]
    assert status == 0 and err == "", result["first"]
    assert re.search(r"verified 299\.7\sKiB at 0x08020000", out), out
    assert r.memory() == expected_memory(b"\xff" * F405_SIZE, F405_BASE, writes, F405_SECTORS)


run()
