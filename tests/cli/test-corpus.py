#!/usr/bin/env python3
"""Real-world DFU files in ../shared/corpus: `info --json` must match every
fact its README lists.  Skips cleanly when the corpus is absent."""
import json
import os
import zlib

from taptest import cli, run, test

CORPUS = os.environ.get("DEFUSE_CORPUS", "")

# file: (format, vid, pid, bcdDFU, bLength, bcdDevice or None, targets)
# targets: [(alt, name or None, [(address or None, size), ...])]
FACTS = {
    "weact-f401-mpy112.dfu": ("dfuse", 0x0483, 0xDF11, 0x011A, 16, None,
                              [(0, "ST...", [(0x08000000, 14776), (0x08020000, 306928)])]),
    "flashfloppy-gotek.dfu": ("dfuse", 0x0483, 0xDF11, 0x011A, 16, None,
                              [(0, None, [(0x08000000, 26360), (0x08008000, 108748)])]),
    "st-dfufilemgr-3210c.dfu": ("dfuse", 0x0483, 0x0000, 0x011A, 16, None,
                                [(0, None, [(0x08005000, 1744)])]),
    "fwupd-vrbrain.dfu": ("dfuse", 0x0483, 0x0000, 0x011A, 16, None,
                          [(0, None, [(0x08000000, 91857), (0x080166D4, 516)])]),
    "fwupd-firmware.dfuse": ("dfuse", 0x1234, 0x5678, 0x011A, 16, 0x8642,
                             [(None, "one", [(0x08001234, 11), (0x08005678, 11)]),
                              (None, "two", [(0x08000000, 11)])]),
    "fwupd-example.dfuse": ("dfuse", 0xFFFF, 0xFFFF, 0x011A, 16, None,
                            [(2, None, [(0x00000000, 12)])]),
    "fwupd-kiibohd.dfu": ("dfu", 0x1C11, 0xB007, 0x0100, 16, None, [(0, None, [(None, 36532)])]),
    "foboot-pvt-top.dfu": ("dfu", 0x1209, 0x70B1, 0x0100, 16, None, [(0, None, [(None, 104090)])]),
    "fwupd-metadata.dfu": ("dfu", 0xFFFF, 0xFFFF, 0x0100, 29, None, [(0, None, [(None, 6)])]),
}


def info(path):
    return json.loads(cli("info", "--json", path).stdout)


def make_test(name, facts):
    def check(tmp):
        path = os.path.join(CORPUS, name)
        if not os.path.exists(path):
            return "skip"
        fmt, vid, pid, bcd_dfu, length, bcd_device, targets = facts
        doc = info(path)
        assert doc["format"] == fmt, doc["format"]
        s = doc["suffix"]
        assert (s["vid"], s["pid"], s["dfu_version"], s["length"]) == (vid, pid, bcd_dfu, length), s
        if bcd_device is not None:
            assert s["bcd_device"] == bcd_device, s
        assert s["crc_ok"] and s["crc_stored"] == s["crc_computed"], s
        assert doc["errors"] == [], doc["errors"]
        assert len(doc["targets"]) == len(targets), doc["targets"]
        raw = open(path, "rb").read()
        for got, (alt, tname, elements) in zip(doc["targets"], targets):
            if alt is not None:
                assert got["alt"] == alt, got
            if tname is not None:
                assert got["name"] == tname, got
            assert [(e["address"], e["size"]) for e in got["elements"]] == elements, got["elements"]
            for e in got["elements"]:
                assert 0 <= e["crc32"] <= 0xFFFFFFFF
        # the per-element crc32 is zlib's over the element's bytes
        if fmt == "dfu":
            payload = raw[: len(raw) - length]
            assert doc["targets"][0]["elements"][0]["crc32"] == zlib.crc32(payload)
    check.__name__ = "corpus_" + name.replace("-", "_").replace(".", "_")
    return check


for _name, _facts in FACTS.items():
    test(make_test(_name, _facts))


@test
def corpus_notes_say_which_convention(tmp):
    path = os.path.join(CORPUS, "st-dfufilemgr-3210c.dfu")
    if not os.path.exists(path):
        return "skip"
    doc = info(path)
    assert any("DfuFileMgr" in n for n in doc["notes"]), doc["notes"]


@test
def corpus_round_trips_through_every_format(tmp):
    path = os.path.join(CORPUS, "weact-f401-mpy112.dfu")
    if not os.path.exists(path):
        return "skip"
    want = [(e["address"], e["size"], e["crc32"]) for e in info(path)["targets"][0]["elements"]]
    for ext in ("hex", "srec", "elf", "dfu"):
        out = os.path.join(tmp, "fw." + ext)
        cli("convert", "--no-pad", path, out)
        got = [(e["address"], e["size"], e["crc32"]) for e in info(out)["targets"][0]["elements"]]
        assert got == want, (ext, got, want)


if __name__ == "__main__":
    run()
