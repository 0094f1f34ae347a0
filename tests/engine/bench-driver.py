#!/usr/bin/env python3
"""Runs a bench command under defuse-sim and plays the operator: plugs in
the next board (SIGUSR1 to the runner, defuse-sim --plug-later), pulls
board N's cable or plugs it back in (defuse-sim --control, simctl.py), or
presses Ctrl+C (SIGINT to the command) when the command prints a line (on
stdout or stderr, both passed through on stdout) matching the next step.

  bench-driver.py [plug:REGEX | unplug=N:REGEX | plug=N:REGEX | interrupt:REGEX]...
                  -- COMMAND [ARGS...]

Steps run in order; one line may trigger several.  After a plug the driver
waits until the runner has added the device to the testbed's sysfs (this
process sees it through umockdev's preload), so two plugs never merge
into one signal.  COMMAND's output is passed through; the driver exits
with COMMAND's status, or 124 if a step's line never came (after 60 s
without output COMMAND is interrupted twice, which cancels its boards,
and killed if that does not end it)."""
import os
import re
import select
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sim"))

from simctl import control  # noqa: E402

STEP_TIMEOUT_S = 60


def ports():
    try:
        names = os.listdir("/sys/bus/usb/devices")
    except FileNotFoundError:
        return set()  # the testbed's sysfs has no USB device left
    return {d for d in names if re.fullmatch(r"\d+-[\d.]+", d)}


def plug(seen):
    """the next board is on a port never seen before (a board coming back
    after its leave is on its old port)"""
    os.kill(os.getppid(), signal.SIGUSR1)
    deadline = time.monotonic() + STEP_TIMEOUT_S
    while not ports() - seen:
        if time.monotonic() > deadline:
            print("bench-driver: the runner did not plug in a device", file=sys.stderr)
            return
        time.sleep(0.005)
    seen |= ports()


def stop(proc):
    for _ in range(2):
        proc.send_signal(signal.SIGINT)
        try:
            return proc.wait(STEP_TIMEOUT_S / 2)
        except subprocess.TimeoutExpired:
            pass
    proc.kill()
    return proc.wait()


def lines(proc):
    """COMMAND's output lines as they come (unbuffered: a line waiting in a
    buffer would never wake select); None after 60 s without output"""
    fd, pending = proc.stdout.fileno(), b""
    while True:
        ready, _, _ = select.select([fd], [], [], STEP_TIMEOUT_S)
        if not ready:
            yield None
            return
        chunk = os.read(fd, 65536)
        if not chunk:
            if pending:
                yield pending.decode(errors="replace")
            return
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            yield line.decode(errors="replace") + "\n"


def main():
    split = sys.argv.index("--")
    steps = [s.split(":", 1) for s in sys.argv[1:split]]
    seen = ports()
    proc = subprocess.Popen(sys.argv[split + 1:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    timed_out = False
    for line in lines(proc):
        if line is None:
            timed_out = True
            print("bench-driver: no output for a while; interrupting", file=sys.stderr)
            stop(proc)
            break
        sys.stdout.write(line)
        sys.stdout.flush()
        while steps and re.search(steps[0][1], line):
            action = steps.pop(0)[0]
            if action == "plug":
                plug(seen)
            elif action.startswith(("unplug=", "plug=")):
                control(action.replace("=", " "))  # answered once it is done
                seen |= ports()
            else:
                proc.send_signal(signal.SIGINT)
    status = proc.wait()
    if steps or timed_out:
        print(f"bench-driver: steps never reached: {steps}", file=sys.stderr)
        return 124
    return status


sys.exit(main())
