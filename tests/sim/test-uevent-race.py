#!/usr/bin/env python3
"""Stress test of the runner's uevent sender: programs that listen for
hotplug events exit while devices leave and come back.  umockdev 0.17
aborts the whole runner ("uevent_sender sendmsg_one: sendmsg failed:
Connection refused") when a listener closes its event socket between the
sender's connect() and sendmsg(); defuse-sim-uevent.c must swallow that.

The window is a few microseconds wide, so the test makes many of them:
short-lived libusb hotplug listeners (hotplug-watch, exiting as soon as
they are registered) start and exit over and over while a pyusb loop
makes the board leave DFU mode and come straight back in it (after_leave
"bootloader", --time-scale 0), for a bounded number of seconds.

Run without arguments it is the test; --inner is the program run under
defuse-sim."""
import importlib.util
import json
import os
import subprocess
import sys
import threading
import time

from simrun import Tap, profile, sim, skip_reason, tmpdir, write

DURATION_S = float(os.environ.get("DEFUSE_SIM_STRESS_S", "3"))
LISTENERS = 3
# the stress is counted, not timed: the loop runs until this many cycles
# (or 5 x DURATION_S on a machine too loaded to reach them)
MIN_CYCLES = 20
DFU_DNLOAD, DFU_GETSTATUS = 1, 3


def listen_until(stop, counts):
    """start and end hotplug-watch, one after the other, until stop["at"]"""
    watch = os.environ["HOTPLUG_WATCH"]
    while time.monotonic() < stop["at"]:
        subprocess.run([watch, "--arrived", "0", "--timeout", "5"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        counts["listeners"] += 1


def leave_once(usb, timeout_s=5.0):
    """one DfuSe leave (zero-length DNLOAD, GETSTATUS), then wait for the
    board to come back; False when it did not"""
    dev = usb.core.find(idVendor=0x0483, idProduct=0xDF11)
    if dev is None:
        return False
    try:
        dev.ctrl_transfer(0x21, DFU_DNLOAD, 0, 0, None, 1000)
        dev.ctrl_transfer(0xA1, DFU_GETSTATUS, 0, 0, 6, 1000)
    except usb.core.USBError:
        pass  # it may be gone before the answer
    finally:
        usb.util.dispose_resources(dev)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        again = usb.core.find(idVendor=0x0483, idProduct=0xDF11)
        if again is not None and again.address != dev.address:
            return True
        time.sleep(0.001)
    return False


def inner():
    import usb.core
    import usb.util

    start = time.monotonic()
    counts = {"listeners": 0, "cycles": 0}
    stop = {"at": start + 5 * DURATION_S}
    threads = [threading.Thread(target=listen_until, args=(stop, counts)) for _ in range(LISTENERS)]
    for t in threads:
        t.start()
    ok = True
    while ok and time.monotonic() < stop["at"] and (time.monotonic() < start + DURATION_S or
                                                    counts["cycles"] < MIN_CYCLES):
        ok = leave_once(usb)
        counts["cycles"] += ok
    stop["at"] = 0  # the listeners end with the last cycle
    for t in threads:
        t.join()
    print(json.dumps(counts))
    return 0 if ok else 3


def main():
    tap = Tap()
    reason = skip_reason() or (None if os.environ.get("HOTPLUG_WATCH") else "hotplug-watch is not built")
    if reason is None:
        if importlib.util.find_spec("usb") is None:
            # Debian's python3-usb is in the system interpreter's path (as in test-pydfu.py)
            system = "/usr/bin/python3"
            if os.path.realpath(sys.executable) != os.path.realpath(system) and os.path.exists(system):
                os.execv(system, [system, os.path.abspath(__file__)])
            reason = "python3-usb (pyusb) is not installed"
    if reason is not None:
        tap.skip_all(reason)

    with tmpdir() as tmp:
        prof = profile("stm32f405")
        prof["after_leave"] = "bootloader"  # BOOT0 held: back in DFU mode at once
        path = write(os.path.join(tmp, "boomerang.json"), json.dumps(prof).encode())
        r = sim(tmp, [sys.executable, os.path.abspath(__file__), "--inner"], profile=path, scale="0",
                timeout=60 + 6 * DURATION_S)
        counts = {}
        if r.status == 0 and r.out.strip():
            counts = json.loads(r.out.strip().splitlines()[-1])
        tap.ok(r.status == 0 and "sendmsg failed" not in r.err,
               "listeners exiting while the board leaves and returns do not end the runner", r)
        # the figures say whether the test did stress anything
        tap.ok(counts.get("cycles", 0) >= MIN_CYCLES and counts.get("listeners", 0) >= 20,
               f"the board left and returned {counts.get('cycles', 0)} times while "
               f"{counts.get('listeners', 0)} listeners came and went", r)
    tap.done()


if __name__ == "__main__":
    if sys.argv[1:] == ["--inner"]:
        sys.exit(inner())
    main()
