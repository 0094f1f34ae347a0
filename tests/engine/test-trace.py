#!/usr/bin/env python3
"""defuse-cli --trace FILE.pcapng (flash, read, list): the trace opens in
Debian's tshark, the device's descriptors come first, and every control
transfer the virtual device saw is in it once, DFU requests decoded by
Wireshark's DFU dissector (usbdfu) with their names."""
import os
import shutil
import subprocess

from simtest import CLI, available, micropython_like, sim
from taptest import run, test

TSHARK = shutil.which("tshark")


def skip():
    return not available() or TSHARK is None


# Debian 12's Wireshark 4.0 ties its DFU dissector to a list of products;
# later releases also to the DFU interface protocol the descriptors at the
# start of the trace give.  Decode As does the same for 4.0.
DECODE_AS = ["-d", "usb.product==0x0483df11,usbdfu"]


def tshark(path, *fields, display_filter=None):
    """One row per packet: the fields asked for, tab-separated."""
    args = [TSHARK, "-r", path, *DECODE_AS, "-T", "fields", "-E", "separator=/t"]
    for f in fields:
        args += ["-e", f]
    if display_filter:
        args += ["-Y", display_filter]
    p = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return [line.split("\t") for line in p.stdout.splitlines()]


def flash_with_trace(tmp, faults=()):
    """A MicroPython-like flash with --trace; returns the run and the trace."""
    fw, _ = micropython_like(tmp)
    trace = os.path.join(tmp, "flash.pcapng")
    r = sim(tmp, CLI, "flash", "--trace", trace, fw, faults=list(faults))
    assert r.status == 0, r
    return r, trace


def transfers_seen_by_device(r):
    """Control transfers the virtual device answered, by request name."""
    return r.stats()["by_request"]


@test
def flash_trace_decodes_every_dfu_request(tmp):
    if skip():
        return "skip"
    r, trace = flash_with_trace(tmp)
    # submissions only (usb.urb_type 'S'): one per control transfer
    rows = tshark(trace, "usb.urb_type", "usb.setup.bRequest", "usbdfu.command",
                  display_filter="usb.urb_type == 'S'")
    dfu = [row for row in rows if row[2] != ""]
    seen = transfers_seen_by_device(r)
    dfu_seen = sum(n for name, n in seen.items() if name.startswith("DFU_"))
    assert len(dfu) == dfu_seen, (len(dfu), seen)
    # SET_INTERFACE goes to the device as an ioctl here, on the wire as a request
    control = [row for row in rows if row[1] != "11"]
    assert len(control) == sum(seen.values()), (len(control), seen)
    # the names Wireshark gives them, and the first records are descriptors
    commands = set(row[2] for row in dfu)
    assert {"1", "2", "3"} <= commands, commands  # DNLOAD, UPLOAD, GETSTATUS
    first = tshark(trace, "usb.setup.bRequest", "usb.bDescriptorType", display_filter="usb.urb_type == 'S'")[:2]
    assert [row[0] for row in first] == ["6", "6"], first
    info = subprocess.run([TSHARK, "-r", trace, *DECODE_AS], capture_output=True, text=True).stdout
    for name in ("Sent Command: Download", "Sent Command: Upload", "Rcvd Response: Get Status"):
        assert name in info, (name, info[:3000])


@test
def getstatus_answers_are_decoded(tmp):
    if skip():
        return "skip"
    r, trace = flash_with_trace(tmp)
    rows = tshark(trace, "usbdfu.state", "usbdfu.status", "usbdfu.poll_timeout",
                  display_filter="usbdfu.state")
    states = set(row[0] for row in rows)
    # dfuDNBUSY (4) while erasing and writing, dfuDNLOAD-IDLE (5) after
    assert {"4", "5"} <= states, states


@test
def a_stall_is_in_the_trace(tmp):
    if skip():
        return "skip"
    r, trace = flash_with_trace(tmp, faults=["stall@dnload=20"])
    rows = tshark(trace, "usb.urb_status", display_filter="usb.urb_type == 'C' && usb.urb_status == -32")
    assert len(rows) == 1, rows


@test
def read_and_list_traces(tmp):
    if skip():
        return "skip"
    trace = os.path.join(tmp, "read.pcapng")
    r = sim(tmp, CLI, "read", "--trace", trace, "-s", "0x08000000", "-l", "8192", os.path.join(tmp, "r.bin"))
    assert r.status == 0, r
    uploads = tshark(trace, "usbdfu.command", display_filter="usb.urb_type == 'S' && usbdfu.command == 2")
    assert len(uploads) == r.stats()["by_request"]["DFU_UPLOAD"], (len(uploads), r.stats()["by_request"])
    trace = os.path.join(tmp, "list.pcapng")
    r = sim(tmp, CLI, "list", "--trace", trace)
    assert r.status == 0, r
    requests = tshark(trace, "usb.bDescriptorType", display_filter="usb.urb_type == 'S'")
    assert len(requests) == sum(r.stats()["by_request"].values()), (len(requests), r.stats()["by_request"])


@test
def no_trace_file_when_off_and_a_clear_error_when_unwritable(tmp):
    if skip():
        return "skip"
    fw, _ = micropython_like(tmp)
    r = sim(tmp, CLI, "flash", "--trace", os.path.join(tmp, "no-such-dir", "t.pcapng"), fw)
    assert r.status == 1 and "no-such-dir" in r.err and r.err.count("defuse-cli:") == 1, r
    assert "Erasing" not in r.out, ("nothing was flashed", r)


if __name__ == "__main__":
    run()
