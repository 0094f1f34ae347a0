#!/usr/bin/env python3
"""fork-control.py: a child that inherits the device's file descriptor gets
answers from its own memory, not its parent's; a bad pointer is EFAULT.

Run under defuse-sim (one DfuSe device).  Uses the raw USBDEVFS_CONTROL
ioctl, so the request lives in a struct whose address both processes share
after fork() while the contents differ: the parent's copy holds a request
the device stalls, the child's a DFU_GETSTATE.  If the runner read the
parent's memory for the child's ioctl, the child would see a STALL.

Prints one line per check: "ok NAME" or "not ok NAME: why"; exits 1 if
any failed."""
import ctypes
import errno
import glob
import os
import sys

USBDEVFS_CONTROL = 0xC0185500  # _IOWR('U', 0, struct usbdevfs_ctrltransfer), 64-bit
DFU_GETSTATE = 5
DFU_IDLE = 2


class CtrlTransfer(ctypes.Structure):
    _fields_ = [("bRequestType", ctypes.c_uint8), ("bRequest", ctypes.c_uint8),
                ("wValue", ctypes.c_uint16), ("wIndex", ctypes.c_uint16),
                ("wLength", ctypes.c_uint16), ("timeout", ctypes.c_uint32),
                ("data", ctypes.c_void_p)]


LIBC = ctypes.CDLL(None, use_errno=True)
LIBC.ioctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p]


def control(fd, ctrl):
    """The ioctl's result, or -errno (libc's ioctl, which the preload sees)."""
    result = LIBC.ioctl(fd, USBDEVFS_CONTROL, ctypes.addressof(ctrl))
    return result if result >= 0 else -ctypes.get_errno()


def check(name, good, why):
    print(f"ok {name}" if good else f"not ok {name}: {why}", flush=True)
    return good


def main():
    nodes = sorted(glob.glob("/dev/bus/usb/*/*"))
    if not nodes:
        sys.exit("not ok no device node under /dev/bus/usb")
    fd = os.open(nodes[0], os.O_RDWR)
    state = ctypes.create_string_buffer(1)
    ctrl = CtrlTransfer(0xA1, 0x7F, 0, 0, 1, 1000, ctypes.addressof(state))  # stalls
    failed = False

    # the parent talks first, so the connection has served it before
    probe = CtrlTransfer(0xA1, DFU_GETSTATE, 0, 0, 1, 1000, ctypes.addressof(state))
    result = control(fd, probe)
    failed |= not check("parent's DFU_GETSTATE", result == 1 and state.raw[0] == DFU_IDLE, f"result {result}")

    pid = os.fork()
    if pid == 0:
        ctrl.bRequest = DFU_GETSTATE  # only in the child's copy
        ctypes.memset(state, 0, 1)
        result = control(fd, ctrl)
        good = check("child's ioctl reads the child's request", result == 1 and state.raw[0] == DFU_IDLE,
                     f"result {result}, state {state.raw[0]}")
        os._exit(0 if good else 1)
    _, status = os.waitpid(pid, 0)
    failed |= status != 0

    result = control(fd, ctrl)
    failed |= not check("parent's ioctl reads the parent's request (a STALL)", result == -errno.EPIPE,
                        f"result {result}")

    if "--efault" in sys.argv:
        bad = CtrlTransfer(0xA1, DFU_GETSTATE, 0, 0, 1, 1000, 0x10)
        result = control(fd, bad)
        failed |= not check("a data pointer to nowhere is EFAULT, as from the kernel", result == -errno.EFAULT,
                            f"result {result}")
    os.close(fd)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
