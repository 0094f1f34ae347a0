#!/usr/bin/env python3
"""defuse-cli's dfu-util and pydfu personalities beyond the recipes: the
list output against Debian's dfu-util on the same devices (with the
selection options), bad command lines (64, one line), an existing -U file
(73), a file whose suffix names another device (refused before the device
is touched), -U against dfu-util's, -w with a board plugged in later, and
pydfu's -l, -x, -m and a corrupt file."""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sim"))

from simrun import (Tap, dfu_suffix, dfuse_file, first_difference, main_flash, parse_layout,  # noqa: E402
                    profile, random_bytes, sim, skip_reason, tmpdir, write)

CLI = os.environ["DEFUSE_CLI"]
DFU_UTIL = shutil.which("dfu-util")
APP = random_bytes(20000, "compat-cli-app")


def setup(tmp):
    for name in ("dfu-util", "pydfu", "pydfu.py"):
        os.symlink(CLI, os.path.join(tmp, name))
    write(os.path.join(tmp, "app.bin"), APP)
    write(os.path.join(tmp, "other.bin"), dfu_suffix(APP, 0x1234, 0x5678, 0xffff, 0x0100))
    write(os.path.join(tmp, "firmware.dfu"), dfuse_file([(0, "Internal Flash", [(0x08000000, APP)])], 0x0483, 0xdf11))
    data = bytearray(open(os.path.join(tmp, "firmware.dfu"), "rb").read())
    data[300] ^= 0xff  # the CRC no longer matches
    write(os.path.join(tmp, "corrupt.dfu"), bytes(data))


def found_lines(text):
    return [line for line in text.splitlines() if line.startswith("Found ")]


def test_list(tap):
    """the same devices, the same options: the same lines"""
    cases = [("stm32f405", 2, []), ("stm32f405", 2, ["-d", "0483:df11"]), ("stm32f405", 2, ["-d", ",1234:5678"]),
             ("stm32f405", 2, ["-a", "1"]), ("stm32f405", 2, ["-S", "3276365C3236"]),
             ("stm32f405", 2, ["-S", "3276365C3235,XX"]), ("stm32f405", 2, ["-p", "1-2"]),
             ("stm32f405", 2, ["-a", "@Option Bytes  /0x1FFFC000/01*016 e", "-c", "1", "-i", "0"]),
             ("dfu11", 1, ["-d", "1234:5678"]), ("dfu11", 1, ["-d", "1234:5678,"]), ("runtime", 1, []),
             ("runtime", 1, ["-d", ",1209:5bf2"]), ("gd32vf103", 1, []), ("stm32l476", 1, ["-n", "2"])]
    for name, count, options in cases:
        with tmpdir() as tmp:
            setup(tmp)
            script = (f"{DFU_UTIL} -l {' '.join(repr(o) for o in options)} > theirs.txt 2>/dev/null; "
                      f"./dfu-util -l {' '.join(repr(o) for o in options)} > ours.txt")
            run = sim(tmp, script, profile=name, count=count, shell=True)
            theirs = found_lines(open(os.path.join(tmp, "theirs.txt")).read())
            ours = open(os.path.join(tmp, "ours.txt")).read().splitlines()
            tap.ok(run.status == 0 and ours == theirs,
                   f"{name} x{count}: dfu-util -l {' '.join(options)}: the same {len(theirs)} lines as dfu-util's",
                   f"{run}\n--- dfu-util\n" + "\n".join(theirs) + "\n--- Defuse\n" + "\n".join(ours))
    prof = profile("stm32f405")
    with tmpdir() as tmp:
        setup(tmp)
        run = sim(tmp, ["./dfu-util", "-l"], profile="stm32f405")
        lines = found_lines(run.out)
        patterns = [r"^Found DFU", r"\[0483:df11\]", r", alt=0,", r', name="@Internal Flash  /0x08000000/[^"]*",',
                    rf'serial="{prof["usb"]["serial"]}"']
        tap.ok(all(any(re.search(p, line) for line in lines) for p in patterns),
               "dfu-util -l: the patterns callers grep for (Found DFU, [vid:pid], alt=N, name, serial)", run)


def test_bad_command_lines(tap):
    bad = [[], ["-x"], ["-a"], ["--foo"], ["-l", "stray"], ["-d", "zz:1", "-l"], ["-n", "abc", "-l"],
           ["-a", "0", "-s", "0x0800zz", "-D", "app.bin"], ["-a", "0", "-s", "0x08000000:foo", "-D", "app.bin"],
           ["-a", "0", "-s", ":mass-erase"], ["-a", "0", "-s", ":unprotect"], ["--download"]]
    for argv in bad:
        with tmpdir() as tmp:
            setup(tmp)
            run = sim(tmp, ["./dfu-util", *argv], profile="stm32f405")
            err = run.err.strip().splitlines()
            untouched = run.stats()["transfers"] == 0 if run.status == 64 else False
            tap.ok(run.status == 64 and len(err) == 1 and err[0].startswith("dfu-util: ") and untouched,
                   f"dfu-util {' '.join(argv)}: exit 64, one line ({err[0] if err else ''}), device untouched", run)
    with tmpdir() as tmp:
        setup(tmp)
        run = subprocess.run([CLI, "dfu-util", "-Q", "--bogus"], capture_output=True, text=True)
        tap.ok(run.returncode == 64 and "--bogus" in run.stderr, "defuse-cli dfu-util ARGS: the same parser",
               run.stderr)
        run = subprocess.run([os.path.join(tmp, "pydfu.py"), "--vid", "nope"], capture_output=True, text=True)
        tap.ok(run.returncode == 2 and "--vid" in run.stderr, "pydfu.py --vid nope: argparse's exit 2", run.stderr)


def test_upload(tap):
    """-U reads what dfu-util reads; an existing file is refused with 73"""
    for options in (["-s", "0x08004000:0x9000"], [], ["-s", "0x08000000", "-Z", "5000"], ["-s", "0x08001000"],
                    ["-s", "0x08020000"]):
        with tmpdir() as tmp:
            setup(tmp)
            base, size, _ = main_flash(profile("stm32f405"))
            write(os.path.join(tmp, "before.bin"), random_bytes(size, "compat-upload"))
            script = (f"{DFU_UTIL} -a 0 {' '.join(options)} -U theirs.bin > /dev/null 2>&1; echo $? > theirs.rc; "
                      f"./dfu-util -a 0 {' '.join(options)} -U ours.bin")
            run = sim(tmp, script, profile="stm32f405", shell=True, flash_in=os.path.join(tmp, "before.bin"))
            theirs = open(os.path.join(tmp, "theirs.bin"), "rb").read() if os.path.exists(os.path.join(tmp, "theirs.bin")) else None
            ours = open(os.path.join(tmp, "ours.bin"), "rb").read() if os.path.exists(os.path.join(tmp, "ours.bin")) else None
            tap.ok(run.status == 0 and theirs is not None and ours == theirs,
                   f"dfu-util -a 0 {' '.join(options)} -U: the same {len(theirs or b'')} bytes as dfu-util's",
                   f"{run}\n{first_difference(ours or b'', theirs or b'')}")
    for options in ([], ["-Z", "4096"]):
        with tmpdir() as tmp:
            setup(tmp)
            script = (f"{DFU_UTIL} {' '.join(options)} -U theirs.bin > /dev/null 2>&1; "
                      f"./dfu-util {' '.join(options)} -U ours.bin")
            run = sim(tmp, script, profile="dfu11", shell=True)
            theirs = open(os.path.join(tmp, "theirs.bin"), "rb").read()
            ours = open(os.path.join(tmp, "ours.bin"), "rb").read() if run.status == 0 else b""
            tap.ok(ours == theirs, f"dfu11: dfu-util {' '.join(options)} -U: the same {len(theirs)} bytes "
                   "as dfu-util's (plain DFU)", f"{run}\n{first_difference(ours, theirs)}")
    with tmpdir() as tmp:
        setup(tmp)
        write(os.path.join(tmp, "dump.bin"), b"keep me")
        run = sim(tmp, ["./dfu-util", "-d", "0483:df11", "-a", "0", "-U", "dump.bin"], profile="stm32f405")
        kept = open(os.path.join(tmp, "dump.bin"), "rb").read() == b"keep me"
        tap.ok(run.status == 73 and kept and run.stats()["transfers"] == 0,
               "dfu-util -U over an existing file: exit 73, the file kept, the device untouched", run)


def test_foreign_suffix(tap):
    """a .bin whose suffix names another device: refused, nothing erased"""
    for options, status in ((["-d", "0483:df11"], 64), ([], 74)):
        with tmpdir() as tmp:
            setup(tmp)
            run = sim(tmp, ["./dfu-util", *options, "-a", "0", "-s", "0x08000000:leave", "-D", "other.bin"],
                      profile="stm32f405")
            ops = run.stats()["ops"]
            log = run.log()
            tap.ok(run.status == status and ops["erase"]["count"] == 0 and ops["write"]["count"] == 0
                   and "erase" not in log.lower().replace("erased", ""),
                   f"dfu-util {' '.join(options)} -D other.bin (suffix 1234:5678): exit {status}, "
                   "nothing erased or written", run)


def test_stdin(tap):
    """-D - reads the firmware from stdin"""
    with tmpdir() as tmp:
        setup(tmp)
        run = sim(tmp, "./dfu-util -a 0 -s 0x08000000:leave -D - < app.bin", profile="stm32f405", shell=True)
        memory = run.memory() if run.status == 0 else b""
        tap.ok(memory[:len(APP)] == APP, "dfu-util -D - writes what stdin holds", run)


def test_transfer_size(tap):
    """-t on a plain DFU device: blocks of that size, as dfu-util sends"""
    counts = []
    for tool in (DFU_UTIL, "./dfu-util"):
        with tmpdir() as tmp:
            setup(tmp)
            write(os.path.join(tmp, "blink.dfu"), dfu_suffix(APP[:5000], 0x1209, 0x5bf0, 0xffff, 0x0100))
            run = sim(tmp, [tool, "-t", "512", "-D", "blink.dfu"], profile="dfu11")
            counts.append(run.stats()["ops"]["write"]["count"])
    tap.ok(counts[0] == counts[1] == 10, f"dfu11: -t 512 writes 5000 bytes in 10 blocks (dfu-util, Defuse: {counts})")


def test_wait(tap):
    """-w: the board is plugged in once the personality says it waits"""
    with tmpdir() as tmp:
        setup(tmp)
        script = ("timeout 60 ./dfu-util -w -a 0 -s 0x08000000:leave -D app.bin > out.txt 2>&1 & pid=$!; "
                  "for i in $(seq 200); do grep -q Waiting out.txt && break; sleep 0.05; done; "
                  "kill -USR1 $PPID; wait $pid; status=$?; cat out.txt; exit $status")
        run = sim(tmp, script, profile="stm32f405", shell=True, extra=["--plug-later", "1"], timeout=120)
        memory = run.memory() if run.status == 0 else b""
        tap.ok(run.status == 0 and "Waiting for device" in run.out and memory[:len(APP)] == APP,
               "dfu-util -w waits, then flashes the board plugged in later", run)


def pydfu_layout_lines(name):
    """pydfu's own algorithm for -l, on the reported alt 0 string"""
    lines = []
    parts = name.split("/")
    for i in range(1, len(parts), 2):
        address = int(parts[i], 0)
        for segment in parts[i + 1].split(","):
            count, size, mult = re.match(r"(\d+)\*(\d+)(.)", segment).groups()
            size = int(size) * {"K": 1024, "M": 1024 * 1024}.get(mult, 1)
            lines.append(f"    0x{address:x} {int(count):2d} pages of {size // 1024:3d}K bytes")
            address += int(count) * size
    return lines


def test_pydfu(tap):
    for name in ("stm32f405", "stm32l476", "gd32vf103"):
        prof = profile(name)
        with tmpdir() as tmp:
            setup(tmp)
            run = sim(tmp, ["./pydfu", "-l"], profile=name)
            vid, pid = int(prof["usb"]["vid"], 0), int(prof["usb"]["pid"], 0)
            want = [f"Bus 1 Device 002: ID {vid:04x}:{pid:04x}", "Memory Layout", *pydfu_layout_lines(prof["alts"][0]["name"])]
            tap.ok(run.status == 0 and run.out.splitlines() == want, f"{name}: pydfu -l prints what pydfu.py prints",
                   f"{run}\nwanted:\n" + "\n".join(want))
    with tmpdir() as tmp:
        setup(tmp)
        run = sim(tmp, ["./pydfu", "--vid", "0x1234", "-l"], profile="stm32f405")
        tap.ok(run.status == 1 and "No DFU capable devices found" in run.err, "pydfu -l with no match: exit 1", run)
        run = sim(tmp, ["./pydfu", "-u", "firmware.dfu"], profile="stm32f405", count=2)
        tap.ok(run.status == 1 and "Multiple DFU devices found" in run.err, "pydfu -u with two boards: exit 1", run)
        run = sim(tmp, ["./pydfu", "-u", "corrupt.dfu"], profile="stm32f405")
        tap.ok(run.status == 1 and run.stats()["ops"]["erase"]["count"] == 0,
               "pydfu -u corrupt.dfu: exit 1 (pydfu.py exits 0), nothing erased", run)
        run = subprocess.run([os.path.join(tmp, "pydfu"), "-h"], capture_output=True, text=True)
        tap.ok(run.returncode == 0 and all(o in run.stdout for o in ("--vid", "--pid", "--mass-erase", "--upload", "--exit")),
               "pydfu -h: pydfu.py's options, exit 0", run.stdout + run.stderr)
        run = sim(tmp, ["./pydfu.py", "-v", "-x"], profile="stm32f405")
        tap.ok(run.status == 0 and run.stats()["ops"]["leave"]["count"] == 1 and run.stats()["disconnects"] >= 1,
               "pydfu.py -v -x: the device leaves DFU mode", run)
        base, size, _ = main_flash(profile("stm32f405"))
        write(os.path.join(tmp, "before.bin"), random_bytes(size, "compat-pydfu-m"))
        run = sim(tmp, ["./pydfu", "-m", "-u", "firmware.dfu"], profile="stm32f405",
                  flash_in=os.path.join(tmp, "before.bin"))
        want = APP + b"\xff" * (size - len(APP))
        tap.ok(run.status == 0 and run.memory() == want and run.stats()["ops"]["mass_erase"]["count"] == 1,
               "pydfu -m -u: mass erase, then the file", f"{run}\n{first_difference(run.memory(), want, base)}")


def main():
    tap = Tap()
    reason = skip_reason() or (None if DFU_UTIL else "dfu-util is not installed")
    if reason:
        tap.skip_all(reason)
    test_list(tap)
    test_bad_command_lines(tap)
    test_upload(tap)
    test_foreign_suffix(tap)
    test_stdin(tap)
    test_transfer_size(tap)
    test_wait(tap)
    test_pydfu(tap)
    tap.done()


if __name__ == "__main__":
    main()
