"""Helpers for tests that run real programs against virtual DFU devices:
defuse-sim builds the devices, the program talks to them through the real
libusb, and the device's memory and statistics come back as files."""
import json
import os
import subprocess

from taptest import pattern  # noqa: F401  (re-exported for the tests)

SIM = os.environ.get("DEFUSE_SIM", "")
CLI = os.environ["DEFUSE_CLI"]
SCALE = os.environ.get("DEFUSE_TEST_TIME_SCALE", "0.01")

F405_BASE = 0x08000000
F405_SIZE = 1024 * 1024
F405_SECTORS = [(0x08000000 + i * 0x4000, 0x4000) for i in range(4)] + [(0x08010000, 0x10000)] + \
               [(0x08020000 + i * 0x20000, 0x20000) for i in range(7)]


def available():
    return bool(SIM) and os.path.exists(SIM)


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

    def __repr__(self):
        return f"exit {self.status}\nstdout:\n{self.out}\nstderr:\n{self.err}"


def sim(tmp, *command, profile="stm32f405", count=1, faults=(), flash_in=None,
        scale=None, timeout=120, extra=()):
    """Runs COMMAND under defuse-sim; the memory goes to tmp/flash*.bin."""
    args = [SIM, "--profile", profile, "--count", str(count), "--time-scale", scale or SCALE,
            "--flash-out", os.path.join(tmp, "flash.bin"), "--stats", os.path.join(tmp, "stats.json"),
            "--log", os.path.join(tmp, "sim.log"), *extra]
    for fault in faults:
        args += ["--fault", fault]
    if flash_in is not None:
        args += ["--flash-in", flash_in]
    proc = subprocess.run([*args, "--", *map(str, command)], capture_output=True, text=True,
                          timeout=timeout)
    return Run(proc, tmp, count)


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def expected_memory(before, base, writes, sectors):
    """The memory after a flash that erases the sectors the writes touch."""
    mem = bytearray(before)
    for address, data in writes:
        for start, size in sectors:
            if start < address + len(data) and address < start + size:
                mem[start - base:start - base + size] = b"\xff" * size
    for address, data in writes:
        mem[address - base:address - base + len(data)] = data
    return bytes(mem)
