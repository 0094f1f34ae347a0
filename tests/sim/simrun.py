"""Helpers of the defuse-sim acceptance tests: running programs under
defuse-sim, the profiles' real memory maps, DFU file writers, TAP output.

Environment (set by tests/sim/meson.build): DEFUSE_SIM (the runner),
DEFUSE_SIM_PROFILES, HOTPLUG_WATCH; DEFUSE_SIM_TEST_SCALE (time scale,
default 0.01) and DEFUSE_SIM_IOCTL (transport) may override."""
import json
import os
import random
import re
import struct
import subprocess
import sys
import tempfile
import zlib

SIM = os.environ.get("DEFUSE_SIM", "")
PROFILES = os.environ.get("DEFUSE_SIM_PROFILES", os.path.join(os.path.dirname(__file__), "profiles"))
SCALE = os.environ.get("DEFUSE_SIM_TEST_SCALE", "0.01")
IOCTL = os.environ.get("DEFUSE_SIM_IOCTL", "")

DFUSE_PROFILES = ["stm32f405", "stm32f411", "stm32h743", "stm32l476", "stm32f072", "gd32vf103"]


class Tap:
    """TAP output; failures print what the runner and the program said."""

    def __init__(self):
        self.count = 0
        self.failed = 0

    def ok(self, cond, name, diag=None):
        self.count += 1
        if not cond:
            self.failed += 1
        print(f"{'ok' if cond else 'not ok'} {self.count} - {name}", flush=True)
        if not cond and diag is not None:
            for line in str(diag).splitlines()[-60:]:
                print(f"# {line}")
        return cond

    def skip_all(self, reason):
        print(f"1..0 # SKIP {reason}", flush=True)
        sys.exit(0)

    def done(self):
        print(f"1..{self.count}", flush=True)
        sys.exit(1 if self.failed else 0)


def skip_reason():
    """Why the suite cannot run here, or None."""
    if not SIM or not os.path.exists(SIM):
        return "defuse-sim is not built"
    # umockdev's preload and AddressSanitizer both want to come first; a
    # sanitized runner works, but a sanitized program under the preload
    # reports preload symbols as ODR problems: checked by the build.
    return None


def profile(name):
    with open(os.path.join(PROFILES, name + ".json")) as f:
        return json.load(f)


_MULT = {"B": 1, "K": 1024, "M": 1024 * 1024, " ": 1, "": 1}


def parse_layout(layout):
    """A DfuSe layout string as [(address, size, type_letter)] sectors."""
    parts = layout.split("/")
    sectors = []
    for i in range(1, len(parts) - 1, 2):
        address = int(parts[i], 16)
        for run in parts[i + 1].split(","):
            m = re.fullmatch(r"\s*(\d+)\*(\d+)\s*([BKM ]?)([a-g ]?)\s*", run)
            if m is None:
                raise ValueError(f"bad layout run {run!r} in {layout!r}")
            count, size = int(m.group(1)), int(m.group(2)) * _MULT[m.group(3)]
            for _ in range(count):
                sectors.append((address, size, m.group(4)))
                address += size
    return sectors


def main_flash(prof):
    """(base, size, sectors) of alt 0 as it really is (geometry when the
    reported name is wrong or no layout): what --flash-out holds."""
    alt = prof["alts"][0]
    sectors = parse_layout(alt.get("geometry", alt["name"]))
    base = sectors[0][0]
    size = sectors[-1][0] + sectors[-1][1] - base
    return base, size, sectors


def usb_ids(prof):
    usb = prof["usb"]
    return int(str(usb["vid"]), 0), int(str(usb["pid"]), 0), int(str(usb.get("bcd_device", "0")), 0)


def random_bytes(n, seed):
    rnd = random.Random(seed)
    return bytes(rnd.getrandbits(8) for _ in range(n))


def expected_after_flash(before, base, sectors, writes):
    """Memory after a host erased every sector the writes touch (on the
    real geometry: the device erases the sector holding the address it is
    given) and wrote them."""
    mem = bytearray(before)
    for address, data in writes:
        end = address + len(data)
        for start, size, _ in sectors:
            if start < end and address < start + size:
                mem[start - base:start - base + size] = b"\xff" * size
    for address, data in writes:
        mem[address - base:address - base + len(data)] = data
    return bytes(mem)


def first_difference(a, b, base=0):
    if len(a) != len(b):
        return f"sizes differ: {len(a)} and {len(b)}"
    for i in range(len(a)):
        if a[i] != b[i]:
            return f"first difference at 0x{base + i:08x}: {a[i]:02x} != {b[i]:02x}"
    return "equal"


def dfu_suffix(body, vid, pid, bcd_device=0xFFFF, bcd_dfu=0x011A):
    """body + the 16-byte DFU suffix (CRC: NOT of zlib's crc32)."""
    data = body + struct.pack("<HHHH", bcd_device, pid, vid, bcd_dfu) + b"UFD" + bytes([16])
    crc = zlib.crc32(data) ^ 0xFFFFFFFF
    return data + struct.pack("<I", crc)


def dfuse_file(targets, vid, pid, bcd_device=0xFFFF):
    """A DfuSe file (ST UM0391): targets = [(alt, name, [(address, data)])]."""
    images = b""
    for alt, name, elements in targets:
        body = b"".join(struct.pack("<II", address, len(data)) + data for address, data in elements)
        images += b"Target" + struct.pack("<BI", alt, 1) + name.encode().ljust(255, b"\0")
        images += struct.pack("<II", len(body), len(elements)) + body
    size = 11 + len(images)
    prefix = b"DfuSe" + struct.pack("<BIB", 1, size, len(targets))
    return dfu_suffix(prefix + images, vid, pid, bcd_device, 0x011A)


class Run:
    def __init__(self, proc, tmp, count):
        self.proc = proc
        self.tmp = tmp
        self.count = count

    @property
    def status(self):
        return self.proc.returncode

    @property
    def out(self):
        return self.proc.stdout

    @property
    def err(self):
        return self.proc.stderr

    def memory(self, index=1):
        name = "flash.bin" if self.count == 1 else f"flash-{index}.bin"
        with open(os.path.join(self.tmp, name), "rb") as f:
            return f.read()

    def stats(self):
        with open(os.path.join(self.tmp, "stats.json")) as f:
            return json.load(f)

    def log(self):
        with open(os.path.join(self.tmp, "sim.log")) as f:
            return f.read()

    def __str__(self):
        text = f"exit {self.status}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"
        try:
            text += "\n--- sim.log (tail)\n" + "\n".join(self.log().splitlines()[-25:])
        except OSError:
            pass
        return text

    __repr__ = __str__  # failures print runs inside tuples too


def sim(tmp, command, profile="stm32f405", count=1, faults=(), flash_in=None, scale=None,
        extra=(), timeout=300, shell=False, control=False):
    """Runs command (a list, or a shell script with shell=True) under
    defuse-sim; the memory goes to tmp/flash*.bin.  control: the command
    may unplug and plug boards (--control, simctl.py)."""
    args = [SIM, "--profile", profile, "--count", str(count), "--time-scale", scale or SCALE,
            "--flash-out", os.path.join(tmp, "flash.bin"), "--stats", os.path.join(tmp, "stats.json"),
            "--log", os.path.join(tmp, "sim.log")]
    if control:
        args += ["--control", os.path.join(tmp, "control.sock")]
    if IOCTL:
        args += ["--ioctl", IOCTL]
    args += list(extra)
    for fault in faults:
        args += ["--fault", fault]
    if flash_in is not None:
        args += ["--flash-in", flash_in]
    if shell:
        command = ["sh", "-c", command]
    proc = subprocess.run([*args, "--", *map(str, command)], capture_output=True, text=True,
                          timeout=timeout, cwd=tmp, errors="replace")
    return Run(proc, tmp, count)


def tmpdir():
    return tempfile.TemporaryDirectory(prefix="defuse-sim-test-")


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def ihex(data, base=0):
    """Intel HEX of data at base: 16-byte data records, an extended linear
    address record (type 04) wherever the upper 16 bits change."""
    lines, upper = [], 0
    for off in range(0, len(data), 16):
        address = base + off
        if address >> 16 != upper:
            upper = address >> 16
            rec = [2, 0, 0, 4, upper >> 8, upper & 0xff]
            lines.append(":" + "".join(f"{b:02X}" for b in rec + [(-sum(rec)) & 0xff]))
        chunk = data[off:off + 16]
        rec = [len(chunk), (address >> 8) & 0xff, address & 0xff, 0, *chunk]
        lines.append(":" + "".join(f"{b:02X}" for b in rec + [(-sum(rec)) & 0xff]))
    return "\n".join(lines + [":00000001FF"]) + "\n"


# the FLIP profiles: chip name for dfu-programmer, avrdude part, flash and
# application sizes (tests/sim/profiles/*.json "flip")
FLIP_PROFILES = {
    "atmega32u4": ("atmega32u4", "m32u4", 0x8000, 0x7000),
    "qmk-dfu-atmega32u4": ("atmega32u4", "m32u4", 0x8000, 0x7000),
    "at90usb1286": ("at90usb1286", "usb1286", 0x20000, 0x1E000),
}
