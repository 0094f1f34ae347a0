#!/usr/bin/env python3
"""A python3-usb (pyusb) flasher doing what MicroPython's tools/pydfu.py
does, against the virtual STM32F405 through the real libusb: read the .dfu
file, clear the status, erase each page before writing into it, SET_ADDRESS
and DNLOAD block 2 for every chunk, GETSTATUS twice without honouring
bwPollTimeout (the F4 bootloader NAKs until it is ready), then leave with
SET_ADDRESS and a zero-length DNLOAD with wValue 0.

Run without arguments it is the test: it runs itself under defuse-sim
(--inner) and checks the memory and the requests the device saw."""
import os
import re
import struct
import sys

from simrun import (Tap, dfuse_file, expected_after_flash, first_difference, main_flash, profile,
                    random_bytes, sim, skip_reason, tmpdir, write)

DFU_DETACH, DFU_DNLOAD, DFU_UPLOAD, DFU_GETSTATUS, DFU_CLRSTATUS, DFU_GETSTATE, DFU_ABORT = range(7)
STATE_IDLE, STATE_DNBUSY, STATE_DNLOAD_IDLE, STATE_MANIFEST = 2, 4, 5, 7
TIMEOUT_MS = 4000
CHUNK = 2048


# --- the flasher (runs under defuse-sim) -----------------------------------

class Flasher:
    def __init__(self, usb, vid, pid):
        self.usb = usb
        self.dev = usb.core.find(idVendor=vid, idProduct=pid)
        if self.dev is None:
            raise SystemExit(f"no device {vid:04x}:{pid:04x}")
        self.dev.set_configuration()
        usb.util.claim_interface(self.dev, 0)
        while self.get_status() != STATE_IDLE:
            self.dev.ctrl_transfer(0x21, DFU_CLRSTATUS, 0, 0, None, TIMEOUT_MS)

    def get_status(self):
        return self.dev.ctrl_transfer(0xA1, DFU_GETSTATUS, 0, 0, 6, TIMEOUT_MS)[4]

    def command(self, what, payload):
        self.dev.ctrl_transfer(0x21, DFU_DNLOAD, 0, 0, payload, TIMEOUT_MS)
        if self.get_status() != STATE_DNBUSY:
            raise SystemExit(f"{what}: the device is not busy")
        if self.get_status() != STATE_DNLOAD_IDLE:
            raise SystemExit(f"{what}: failed")

    def layout(self):
        """[(address, size)] pages of alt 0, from its iInterface string"""
        intf = self.dev.get_active_configuration()[(0, 0)]
        name = self.usb.util.get_string(self.dev, intf.iInterface)
        pages = []
        for area in re.findall(r"/(0x[0-9A-Fa-f]+)/([^/]+)", name):
            address = int(area[0], 16)
            for run in area[1].split(","):
                count, size, mult = re.match(r"(\d+)\*(\d+)(.)", run).groups()
                size = int(size) * {"K": 1024, "M": 1024 * 1024}.get(mult, 1)
                for _ in range(int(count)):
                    pages.append((address, size))
                    address += size
        return pages

    def write_elements(self, elements):
        pages = self.layout()
        for address, data in elements:
            while data:
                size = len(data)
                for page, page_size in pages:
                    if page <= address < page + page_size:
                        # erase the page holding address, write up to its end
                        size = min(size, page + page_size - address)
                        self.command("erase", b"\x41" + struct.pack("<I", page))
                        break
                for offset in range(0, size, CHUNK):
                    chunk = data[offset:min(offset + CHUNK, size)]
                    self.command("set address", b"\x21" + struct.pack("<I", address + offset))
                    self.dev.ctrl_transfer(0x21, DFU_DNLOAD, 2, 0, chunk, TIMEOUT_MS)
                    if self.get_status() != STATE_DNBUSY or self.get_status() != STATE_DNLOAD_IDLE:
                        raise SystemExit(f"write at 0x{address + offset:08x} failed")
                address += size
                data = data[size:]

    def leave(self, address):
        self.command("set address", b"\x21" + struct.pack("<I", address))
        self.dev.ctrl_transfer(0x21, DFU_DNLOAD, 0, 0, None, TIMEOUT_MS)
        try:
            if self.get_status() != STATE_MANIFEST:
                raise SystemExit("the device did not start manifestation")
        except self.usb.core.USBError:
            pass  # already gone: that is leaving too
        self.usb.util.dispose_resources(self.dev)


def read_dfu_file(path):
    """[(address, data)] of the first target of a DfuSe file"""
    with open(path, "rb") as f:
        data = f.read()
    if data[:5] != b"DfuSe":
        raise SystemExit(f"{path}: not a DfuSe file")
    pos = 11
    count = struct.unpack_from("<I", data, pos + 270)[0]
    pos += 274
    elements = []
    for _ in range(count):
        address, size = struct.unpack_from("<II", data, pos)
        elements.append((address, data[pos + 8:pos + 8 + size]))
        pos += 8 + size
    return elements


def inner(path, vid, pid):
    import usb.core
    import usb.util
    flasher = Flasher(usb, vid, pid)
    elements = read_dfu_file(path)
    flasher.write_elements(elements)
    flasher.leave(elements[0][0])
    print("flashed", sum(len(d) for _, d in elements), "bytes")


# --- the test ---------------------------------------------------------------

def main():
    tap = Tap()
    reason = skip_reason()
    try:
        import usb.core  # noqa: F401
    except ImportError:
        # Debian's python3-usb is in the system interpreter's path, which a
        # python3 from PATH (pyenv, a venv) may not share
        system = "/usr/bin/python3"
        if os.path.realpath(sys.executable) != os.path.realpath(system) and os.path.exists(system):
            os.execv(system, [system, os.path.abspath(__file__)])
        reason = reason or "python3-usb (pyusb) is not installed"
    if reason:
        tap.skip_all(reason)

    prof = profile("stm32f405")
    base, size, sectors = main_flash(prof)
    elements = [(base + 0x4000, random_bytes(40000, "pydfu-1")),
                (base + 0x20000 + 100, random_bytes(3000, "pydfu-2"))]
    with tmpdir() as tmp:
        before = random_bytes(size, "pydfu-before")
        write(os.path.join(tmp, "before.bin"), before)
        write(os.path.join(tmp, "firmware.dfu"), dfuse_file([(0, "Internal Flash", elements)], 0x0483, 0xdf11))
        run = sim(tmp, [sys.executable, os.path.abspath(__file__), "--inner", "firmware.dfu", "0483", "df11"],
                  profile="stm32f405", flash_in=os.path.join(tmp, "before.bin"))
        if not tap.ok(run.status == 0 and "flashed 43000 bytes" in run.out, "pydfu-style flash succeeds", run):
            tap.done()
        expected = expected_after_flash(before, base, sectors, elements)
        memory = run.memory()
        tap.ok(memory == expected, "memory holds both elements, erased pages around them, the rest untouched",
               first_difference(memory, expected, base))

        stats = run.stats()
        ops = stats["ops"]
        chunks = sum((len(data) + CHUNK - 1) // CHUNK for _, data in elements)
        tap.ok(ops["write"]["count"] == chunks and ops["set_address"]["count"] == chunks + 1,
               f"SET_ADDRESS before each of the {chunks} chunks and once to leave", ops)
        writes = [e["detail"] for e in stats["events"] if e["event"] == "write"]
        tap.ok(len(writes) == chunks and all("(block 2)" in w for w in writes),
               "every chunk is DNLOAD block 2", writes[:3])
        tap.ok(ops["erase"]["count"] == 4 and ops["mass_erase"]["count"] == 0,
               "page erases of the three 16K sectors and the 128K sector touched", ops["erase"])
        tap.ok(ops["leave"]["count"] == 1 and stats["disconnects"] >= 1,
               "leave with a zero-length DNLOAD, wValue 0: the device left", stats["disconnects"])
    tap.done()


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--inner":
        inner(sys.argv[2], int(sys.argv[3], 16), int(sys.argv[4], 16))
    else:
        main()
