#!/usr/bin/env python3
"""Cross-checks of defuse-cli against tools nobody here wrote, from Debian:
fwupdtool (fwupd), dfu-suffix and dfu-prefix (dfu-util), objcopy (binutils)."""
import json
import os
import re
import xml.etree.ElementTree as ET

from taptest import cli, pattern, run, test, tool


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def info(path):
    return json.loads(cli("info", "--json", path).stdout)


def fwupd_parse(path):
    """[(id, [(addr, size), ...])] as fwupdtool's DfuSe parser sees the file."""
    out = tool("fwupdtool", "firmware-parse", path, "dfuse").stdout
    xml = out[out.index("<firmware"):]
    root = ET.fromstring(xml)
    targets = []
    for fw in root.findall("firmware"):
        chunks = [(int(c.findtext("addr"), 16), int(c.find("data").get("size"), 16))
                  for c in fw.iter("chunk")]
        targets.append((fw.findtext("id"), chunks))
    return root, targets


def packed_sample(tmp):
    a = write(os.path.join(tmp, "fw.bin"), pattern(14776, 1))
    b = write(os.path.join(tmp, "fs.bin"), pattern(306928, 2))
    out = os.path.join(tmp, "fw.dfu")
    cli("pack", "-o", out, "--vid", "0x0483", "--pid", "0xdf11", "--device-version", "0x2200",
        "--name", "Internal Flash", f"0x08000000:{a}", f"0x08020000:{b}",
        "--alt", "1", "--name", "Option Bytes", f"0x1FFFC000:{write(os.path.join(tmp, 'ob.bin'), pattern(16, 3))}")
    return out


@test
def fwupd_agrees_with_info_on_pack_output(tmp):
    path = packed_sample(tmp)
    root, fw_targets = fwupd_parse(path)
    assert root.findtext("vendor") == "0x483" and root.findtext("product") == "0xdf11", ET.tostring(root)
    ours = [(t["name"], [(e["address"], e["size"]) for e in t["elements"]]) for t in info(path)["targets"]]
    assert fw_targets == ours, (fw_targets, ours)
    # padded to a multiple of 8 by default: 14776 is, 306928 is, 16 is
    assert ours[0][1] == [(0x08000000, 14776), (0x08020000, 306928)]


@test
def fwupd_agrees_on_padding_and_names(tmp):
    a = write(os.path.join(tmp, "odd.bin"), pattern(1001, 4))
    out = os.path.join(tmp, "odd.dfu")
    cli("pack", "-o", out, "--name", "flash", f"0x08004000:{a}")
    _, fw_targets = fwupd_parse(out)
    assert fw_targets == [("flash", [(0x08004000, 1008)])], fw_targets
    raw = os.path.join(tmp, "odd-nopad.dfu")
    cli("pack", "--no-pad", "-o", raw, f"0x08004000:{a}")
    _, fw_targets = fwupd_parse(raw)
    assert fw_targets[0][1] == [(0x08004000, 1001)], fw_targets


@test
def dfu_suffix_and_prefix_accept_pack_output(tmp):
    path = packed_sample(tmp)
    out = tool("dfu-suffix", "-c", path).stdout
    assert re.search(r"Product ID:\s+0xDF11", out) and re.search(r"Vendor ID:\s+0x0483", out), out
    assert re.search(r"BCD DFU:\s+0x011A", out), out
    tool("dfu-prefix", "-c", path)


@test
def dfu_suffix_reads_our_suffix_and_we_read_theirs(tmp):
    # ours -> theirs: convert a raw payload (no address) to a plain DFU file
    payload = write(os.path.join(tmp, "app.bin"), pattern(5000, 5))
    ours = os.path.join(tmp, "app.dfu")
    cli("convert", "--vid", "0x1209", "--pid", "0x5bf0", payload, ours)
    out = tool("dfu-suffix", "-c", ours).stdout
    assert re.search(r"Vendor ID:\s+0x1209", out) and re.search(r"BCD DFU:\s+0x0100", out), out
    # theirs -> ours
    theirs = write(os.path.join(tmp, "theirs.bin"), pattern(3000, 6))
    tool("dfu-suffix", "-v", "0x1c11", "-p", "0xb007", "-a", theirs)
    doc = info(theirs)
    assert doc["format"] == "dfu" and doc["suffix"]["crc_ok"], doc
    assert (doc["suffix"]["vid"], doc["suffix"]["pid"]) == (0x1C11, 0xB007), doc["suffix"]
    assert doc["targets"][0]["elements"][0]["size"] == 3000
    # and removing it gives back the bytes
    stripped = os.path.join(tmp, "stripped.bin")
    cli("convert", theirs, stripped)
    assert open(stripped, "rb").read() == pattern(3000, 6)


@test
def objcopy_agrees_with_convert(tmp):
    path = packed_sample(tmp)
    for fmt, bfd in (("hex", "ihex"), ("srec", "srec")):
        text = os.path.join(tmp, "fw." + fmt)
        cli("convert", "--alt", "0", path, text)
        theirs = os.path.join(tmp, f"objcopy-{fmt}.bin")
        tool("objcopy", "-I", bfd, "-O", "binary", text, theirs)
        ours = os.path.join(tmp, f"ours-{fmt}.bin")
        cli("convert", "--alt", "0", path, ours)
        # objcopy fills gaps with zero, we fill with 0xff unless told: use --fill 0
        cli("convert", "--alt", "0", "--fill", "0", path, ours)
        assert open(ours, "rb").read() == open(theirs, "rb").read(), fmt


@test
def objcopy_hex_reads_back(tmp):
    # a HEX written by objcopy from a binary parses to the same bytes and address
    data = pattern(70000, 7)
    src = write(os.path.join(tmp, "in.bin"), data)
    hexfile = os.path.join(tmp, "in.hex")
    tool("objcopy", "-I", "binary", "-O", "ihex", "--change-addresses", "0x08010000", src, hexfile)
    doc = info(hexfile)
    assert doc["format"] == "ihex"
    assert [(e["address"], e["size"]) for e in doc["targets"][0]["elements"]] == [(0x08010000, 70000)]
    out = os.path.join(tmp, "out.bin")
    cli("convert", hexfile, out)
    assert open(out, "rb").read() == data


if __name__ == "__main__":
    run()
