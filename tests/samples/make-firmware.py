#!/usr/bin/env python3
"""Writes the two parts of a MicroPython-like STM32F4 firmware: a 14 KiB
first part at 0x08000000 (vector table and early code, as MicroPython's
isr_vector + text in sector 0) and a ~300 KiB main part for 0x08020000.
Deterministic bytes, so tests can compare memory with the image.

Usage: make-firmware.py OUT_PART1.bin OUT_PART2.bin
"""
import struct
import sys


def code(size, seed):
    x = seed
    out = bytearray()
    while len(out) < size:
        x = (x * 1103515245 + 12345) & 0xFFFFFFFF
        out += struct.pack("<I", x)
    return bytes(out[:size])


def part1():
    # Cortex-M vector table: initial SP, then handlers with the Thumb bit set
    vectors = struct.pack("<I", 0x20020000)
    vectors += b"".join(struct.pack("<I", 0x08000400 + 4 * i + 1) for i in range(97))
    banner = b"Defuse demo firmware (MicroPython-like layout)\0"
    body = code(14776 - len(vectors) - len(banner), 1)
    return vectors + banner + body


def part2():
    text = b"MicroPython v1.22.0 on 2024-01-01; Defuse demo board with STM32F405RG\0"
    return text + code(306928 - len(text), 2)


if __name__ == "__main__":
    with open(sys.argv[1], "wb") as f:
        f.write(part1())
    with open(sys.argv[2], "wb") as f:
        f.write(part2())
