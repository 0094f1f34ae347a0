#!/usr/bin/env python3
"""Each fault a virtual STM32F405 can inject gives dfu-util 0.11 what a real
device doing the same gives it: dfu-util's own error message and exit
status (EX_IOERR 74, EX_PROTOCOL 76), or recovery where dfu-util recovers.

The download is 8 KiB at 0x08000000: DNLOAD 1 erases the page, DNLOAD 2
sets the address, DNLOAD 3 is the first 2 KiB block; each DNLOAD is
followed by GETSTATUS until the device is done."""
import os
import shutil

from simrun import Tap, first_difference, random_bytes, sim, skip_reason, tmpdir, write

DFU_UTIL = shutil.which("dfu-util")
IMAGE = random_bytes(8192, "faults")

# bStatus values with dfu-util's text for them (dfu.c, the DFU 1.1 table)
STATUSES = [
    ("errTARGET", 1, "File is not targeted for use by this device"),
    ("errFILE", 2, "File is for this device but fails some vendor-specific test"),
    ("errWRITE", 3, "Device is unable to write memory"),
    ("errERASE", 4, "Memory erase function failed"),
    ("errCHECK_ERASED", 5, "Memory erase check failed"),
    ("errPROG", 6, "Program memory function failed"),
    ("errVERIFY", 7, "Programmed memory failed verification"),
    ("errADDRESS", 8, "Cannot program memory due to received address that is out of range"),
    ("errNOTDONE", 9, "Received DFU_DNLOAD with wLength = 0, but device does not think that it has all data yet"),
    ("errFIRMWARE", 10, "Device's firmware is corrupt. It cannot return to run-time (non-DFU) operations"),
    ("errVENDOR", 11, "iString indicates a vendor specific error"),
    ("errUSBR", 12, "Device detected unexpected USB reset signalling"),
    ("errPOR", 13, "Device detected unexpected power on reset"),
    ("errUNKNOWN", 14, "Something went wrong, but the device does not know what it was"),
    ("errSTALLEDPKT", 15, "Device stalled an unexpected request"),
]


def erased_after(memory, start, end):
    return memory[start:end] == b"\xff" * (end - start)


# (what, fault, exit status, what dfu-util says, memory check)
CASES = [
    ("STALL of a data DNLOAD", "stall@dnload=3", 74,
     ["dfuse_download: libusb_control_transfer returned -9 (LIBUSB_ERROR_PIPE)", "Error during download"],
     lambda m: erased_after(m, 0, 16384)),
    ("STALL of a GETSTATUS while busy (dfu-util asks again)", "stall@getstatus=5", 0,
     ["File downloaded successfully"], lambda m: m[:8192] == IMAGE),
] + [
    (f"{name} on the second block", f"status={name}@write=2", 74,
     [f"DFU state(10) = dfuERROR, status({value}) = {text}", "Failed to write whole chunk: -1 of 2048 bytes"],
     # the first block is written, the failed one is not
     lambda m: m[:2048] == IMAGE[:2048] and erased_after(m, 2048, 16384))
    for name, value, text in STATUSES
] + [
    ("errERASE on the page erase", "status=errERASE@erase=1", 74,
     ["ERASE_PAGE not correctly executed"], None),
    ("errADDRESS on SET_ADDRESS", "status=errADDRESS@dnload=2", 74,
     ["SET_ADDRESS not correctly executed"], None),
    ("read protection (errVENDOR)", "rdp", 74,
     ["ERASE_PAGE not correctly executed"], None),
    ("disconnect in the middle of a write", "disconnect@byte=4096", 74,
     ["Error during download get_status"],
     # the bytes before the cut are programmed, nothing after it
     lambda m: m[:4096] == IMAGE[:4096] and erased_after(m, 4096, 16384)),
    ("brown-out reset in the middle of a write", "reset@byte=6144", 74,
     ["Error during download get_status"],
     lambda m: m[:6144] == IMAGE[:6144] and erased_after(m, 6144, 16384)),
    ("no answer to a DNLOAD (timeout)", "no-answer@dnload=3", 74,
     ["dfuse_download: libusb_control_transfer returned -7 (LIBUSB_ERROR_TIMEOUT)", "Error during download"],
     None),
    ("no answer to a GETSTATUS (timeout)", "no-answer@getstatus=4", 74,
     ['Error during special command "SET_ADDRESS" get_status'], None),
    ("malformed (short) status reply", "bad-status@getstatus=3", 74,
     ["ERASE_PAGE not correctly executed"], None),
    ("empty status reply", "bad-status=0@getstatus=3", 74,
     ["ERASE_PAGE not correctly executed"], None),
    ("unexpected dfuERROR after SET_ADDRESS", "state=dfuERROR@getstatus=4", 76,
     ['Wrong state after command "SET_ADDRESS" download'], None),
    ("unexpected dfuIDLE after the erase", "state=dfuIDLE@getstatus=2", 76,
     ['Wrong state after command "ERASE_PAGE" download'], None),
    ("unexpected dfuUPLOAD-IDLE at the start (dfu-util aborts it)", "state=dfuUPLOAD-IDLE@getstatus=1", 0,
     ["DFU state(9) = dfuUPLOAD-IDLE", "Aborting previous incomplete transfer", "File downloaded successfully"],
     lambda m: m[:8192] == IMAGE),
]


def main():
    tap = Tap()
    reason = skip_reason() or (None if DFU_UTIL else "dfu-util is not installed")
    if reason:
        tap.skip_all(reason)
    for what, fault, status, patterns, check in CASES:
        with tmpdir() as tmp:
            write(os.path.join(tmp, "image.bin"), IMAGE)
            run = sim(tmp, [DFU_UTIL, "-a", "0", "-s", "0x08000000", "-D", "image.bin"],
                      profile="stm32f405", faults=[fault])
            output = (run.out + run.err).replace("\r", "\n")
            missing = [p for p in patterns if p not in output]
            tap.ok(run.status == status and not missing,
                   f"{what} ({fault}): dfu-util exits {status}" +
                   (f", says {patterns[0]!r}" if status else ""),
                   f"missing: {missing}\n{run}")
            if check is not None:
                memory = run.memory()
                tap.ok(check(memory), f"{what}: memory is what the device did",
                       first_difference(memory[:16384], (IMAGE + b"\xff" * 8192)[:16384], 0x08000000))
    tap.done()


if __name__ == "__main__":
    main()
