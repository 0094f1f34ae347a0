#!/usr/bin/env python3
"""Every error kind of defuse-cli's --json failure events (documented in
defuse-cli(1)) against a virtual STM32F405: the result event carries the
kind and the exit status, the process exits with that status, and stderr
has one message.  Persistent faults end at once with the right kind; the
device is left so that it still answers (a read works afterwards)."""
import json
import os
import shutil
import subprocess

from simtest import CLI, available, ctrl_c_in_phase, sim, write
from taptest import pattern, run, test


def firmware(tmp, address=0x08000000, size=40000):
    data = write(os.path.join(tmp, "app.bin"), pattern(size, 3))
    out = os.path.join(tmp, "fw.dfu")
    subprocess.run([CLI, "pack", "-o", out, "--vid", "0x0483", "--pid", "0xdf11",
                    f"0x{address:08x}:{data}"], check=True)
    return out


def result_of(out):
    events = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert events and events[-1]["event"] == "result", out
    return events[-1]


def check_kind(r, kind, status, then_reads=False):
    """r ran `flash --json ...` (and with then_reads, a read after it)."""
    lines = r.out.splitlines()
    first = [int(line.split()[-1]) for line in lines if line.startswith("flash exit")]
    status_seen = first[0] if first else r.status
    event = result_of("\n".join(line for line in lines if line.startswith("{")))
    assert (event["ok"], event.get("kind"), event.get("exit")) == (False, kind, status), (event, r)
    assert status_seen == status, (status_seen, r)
    assert r.err.count("defuse-cli:") == 1 and "CRITICAL" not in r.err and "WARNING" not in r.err, r
    if then_reads:
        assert "read exit 0" in r.out, ("the device does not answer after the failure", r)


def flash_then_read(tmp, fw, fault, **options):
    script = os.path.join(tmp, "run.sh")
    write(script, (f"#!/bin/sh\n{CLI} flash --json {fw}\necho \"flash exit $?\"\n"
                   f"{CLI} read -s 0x08000000 -l 4096 {tmp}/back.bin >/dev/null 2>&1\necho \"read exit $?\"\n").encode())
    os.chmod(script, 0o755)
    return sim(tmp, script, faults=[fault] if fault else [], **options)


def skip():
    return not available()


# kinds from faults the device keeps doing: (kind, exit, fault)
PERSISTENT = [
    ("read-protected", 6, "rdp"),
    ("write-failed", 6, "status=errWRITE@write=5+"),
    ("verify-failed", 6, "lost@write=5+"),
    ("address-refused", 6, "status=errTARGET@write=5"),
    ("stalled", 6, "stall@dnload=10+"),
    ("protocol", 6, "bad-status@getstatus=30+"),
    ("device-error", 6, "status=errUNKNOWN@getstatus=30+"),
    ("not-supported", 5, "state=appIDLE@getstatus=1+"),
]


def make_persistent(kind, status, fault):
    def check(tmp):
        if skip():
            return "skip"
        fw = firmware(tmp)
        r = flash_then_read(tmp, fw, fault)
        # read protection refuses the read too; every other device answers
        check_kind(r, kind, status, then_reads=kind not in ("read-protected", "stalled", "protocol",
                                                             "device-error", "not-supported"))
        if kind in ("write-failed", "verify-failed"):
            assert "failed a second time" in r.err and "write-protected" in r.err, r
        if kind == "read-protected":
            assert "retrying" not in r.out, ("read protection is not retried", r)
    check.__name__ = "kind_" + kind.replace("-", "_")
    return check


for _kind, _status, _fault in PERSISTENT:
    test(make_persistent(_kind, _status, _fault))


@test
def kind_device_gone(tmp):
    if skip():
        return "skip"
    fw = firmware(tmp)
    r = sim(tmp, CLI, "flash", "--json", fw, faults=["disconnect@byte=20000"])
    check_kind(r, "device-gone", 7)
    assert "did not come back" in r.err and "bytes written" in r.err and "flash again" in r.err, r


@test
def kind_timeout(tmp):
    if skip():
        return "skip"
    fw = firmware(tmp)
    r = sim(tmp, CLI, "flash", "--json", fw, faults=["no-answer@request=60"])
    check_kind(r, "timeout", 7)


@test
def kind_cancelled(tmp):
    if skip():
        return "skip"
    fw = firmware(tmp, size=300000)
    # writing lasts about 2 s at this scale: time for the Ctrl+C to land
    # on a loaded machine under ASan (at 0.05 the flash once finished first)
    r = ctrl_c_in_phase(tmp, "write", fw, scale="0.2")
    event = result_of(open(os.path.join(tmp, "first.log")).read())
    assert (event.get("kind"), event["exit"]) == ("cancelled", 8), event
    assert "flash exit 8" in r.out, r


@test
def cancelled_mass_erase_is_not_nothing(tmp):
    """Ctrl+C during a mass erase: the message says the chip may be blank,
    never 'Nothing was erased or written'."""
    if skip():
        return "skip"
    fw = firmware(tmp)
    r = ctrl_c_in_phase(tmp, "erase", "--mass-erase", "--force", fw, scale="0.1")
    assert "flash exit 8" in r.out, r
    event = result_of(open(os.path.join(tmp, "first.log")).read())
    assert (event["kind"], event["exit"]) == ("cancelled", 8), event
    assert "whole chip was erased" in event["message"] and "Nothing was" not in event["message"], event


@test
def kinds_before_any_device_work(tmp):
    if skip():
        return "skip"
    fw = firmware(tmp)
    vendor = write(os.path.join(tmp, "vendor.dfu"), pattern(300, 1))
    outside = firmware(tmp, address=0x09000000, size=1000)
    cases = [
        ("bad-file", 1, [vendor], {}),
        ("file-error", 1, [tmp], {}),
        ("no-device", 3, ["-d", "1234:5678", fw], {}),
        ("several-devices", 3, [fw], {"count": 2}),
        ("does-not-fit", 5, [outside], {}),
        ("usage", 2, ["--alt", "Nonexistent", fw], {}),
    ]
    for kind, status, args, options in cases:
        r = sim(tmp, CLI, "flash", "--json", *args, **options)
        check_kind(r, kind, status)


@test
def kind_permission(tmp):
    """A user without the udev rule: the device node is root's, 0600."""
    if skip():
        return "skip"
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        return "skip"
    fw = firmware(tmp)
    os.chmod(tmp, 0o755)
    os.chmod(fw, 0o644)
    script = os.path.join(tmp, "nobody.sh")
    write(script, (f"#!/bin/sh\nchmod -R a+rwX \"$UMOCKDEV_DIR\"\n"
                   f"chmod 0600 \"$UMOCKDEV_DIR\"/dev/bus/usb/*/*\n"
                   f"exec setpriv --reuid=65534 --regid=65534 --clear-groups {CLI} flash --json {fw}\n").encode())
    os.chmod(script, 0o755)
    r = sim(tmp, script)
    check_kind(r, "permission", 4)
    assert "udev rule" in r.err, r


@test
def man_page_lists_every_kind(tmp):
    page = open(os.path.join(os.environ["DEFUSE_SOURCE_ROOT"], "data", "defuse-cli.1")).read()
    kinds = [k for k, _, _ in PERSISTENT] + ["device-gone", "timeout", "cancelled", "bad-file", "file-error",
                                             "no-device", "several-devices", "does-not-fit", "usage",
                                             "permission", "in-use", "failed"]
    missing = [k for k in kinds if f".B {k}\n" not in page]
    assert not missing, missing


if __name__ == "__main__":
    run()
