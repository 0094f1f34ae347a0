#!/usr/bin/env python3
"""defuse-cli behaviour: exit statuses, messages, JSON shape, and that a
failure never leaves a partial output file."""
import json
import os
import re
import subprocess

from taptest import cli, pattern, run, test


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


@test
def usage_errors_exit_2(tmp):
    cli(expect=2)
    cli("frobnicate", expect=2)
    cli("info", expect=2)
    cli("info", "--no-such-option", "x", expect=2)
    cli("convert", "only-one", expect=2)
    cli("pack", "0x08000000:x.bin", expect=2)  # no -o
    p = cli("convert", "--fill", "300", "a", "b", expect=2)
    assert "--fill" in p.stderr and len(p.stderr.strip().splitlines()) == 1, p.stderr


@test
def help_works_for_every_command(tmp):
    assert "info" in cli("--help").stdout
    for command in ("info", "pack", "convert"):
        out = cli(command, "--help").stdout
        assert "Usage:" in out, out


@test
def man_page_documents_every_command(tmp):
    page = os.path.join(os.environ["DEFUSE_SOURCE_ROOT"], "data", "defuse-cli.1")
    text = open(page).read()
    commands = [line.split()[0] for line in cli("--help").stdout.split("Commands:")[1].splitlines()
                if line.startswith("  ")]
    assert len(commands) >= 8, commands
    for command in commands:
        assert f".B defuse-cli {command}" in text and f".B {command}\n" in text, command
    for status in range(9):
        assert f".B {status}\n" in text, status
    # groff renders it without a warning
    proc = subprocess.run(["groff", "-t", "-man", "-Tutf8", "-ww", "-z", page], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr


@test
def bad_file_exits_1_with_one_line_per_error(tmp):
    bad = write(os.path.join(tmp, "vendor.dfu"), pattern(300, 1))
    p = cli("info", bad, expect=1)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "vendor.dfu" in lines[0] and "not a firmware file" in lines[0], p.stderr
    p = cli("info", os.path.join(tmp, "missing.dfu"), expect=1)
    assert "missing.dfu" in p.stderr


@test
def info_json_has_every_key(tmp):
    a = write(os.path.join(tmp, "a.bin"), pattern(100, 2))
    out = os.path.join(tmp, "a.dfu")
    cli("pack", "-o", out, "--vid", "0x0483", "--pid", "0xdf11", f"0x08000000:{a}")
    doc = json.loads(cli("info", "--json", out).stdout)
    assert set(doc) >= {"format", "suffix", "targets", "warnings", "errors"}, doc
    assert set(doc["suffix"]) >= {"vid", "pid", "bcd_device", "dfu_version", "length",
                                  "crc_stored", "crc_computed", "crc_ok"}
    element = doc["targets"][0]["elements"][0]
    assert set(element) == {"address", "size", "crc32"} and element["size"] == 104
    # several files: one document per line, and the status of the worst
    bad = write(os.path.join(tmp, "bad.hex"), b":0300000001020304\n")
    p = cli("info", "--json", out, bad, expect=1)
    docs = [json.loads(line) for line in p.stdout.splitlines()]
    assert len(docs) == 2 and docs[1]["errors"] and not docs[0]["errors"], docs


@test
def crc_mismatch_is_an_error_unless_ignored(tmp):
    a = write(os.path.join(tmp, "a.bin"), pattern(64, 3))
    out = os.path.join(tmp, "a.dfu")
    cli("pack", "-o", out, f"0x08000000:{a}")
    data = bytearray(open(out, "rb").read())
    data[300] ^= 0xFF
    write(out, bytes(data))
    p = cli("info", out, expect=1)
    assert "CRC mismatch" in p.stderr, p.stderr
    cli("info", "--ignore-crc", out)
    cli("convert", out, os.path.join(tmp, "x.hex"), expect=1)
    assert not os.path.exists(os.path.join(tmp, "x.hex"))
    cli("convert", "--ignore-crc", out, os.path.join(tmp, "x.hex"))


@test
def failures_leave_no_output_file(tmp):
    # a plain DFU payload has no address: hex output is impossible
    payload = write(os.path.join(tmp, "p.bin"), pattern(64, 4))
    plain = os.path.join(tmp, "p.dfu")
    cli("convert", payload, plain)
    target = os.path.join(tmp, "out.hex")
    p = cli("convert", plain, target, expect=1)
    assert "address" in p.stderr, p.stderr
    assert not os.path.exists(target)
    assert [f for f in os.listdir(tmp) if f.startswith("out")] == [], os.listdir(tmp)
    # an existing output survives a failed conversion untouched
    write(target, b"keep me")
    cli("convert", plain, target, expect=1)
    assert open(target, "rb").read() == b"keep me"


@test
def pack_orders_targets_and_names(tmp):
    a = write(os.path.join(tmp, "a.bin"), pattern(32, 5))
    b = write(os.path.join(tmp, "b.bin"), pattern(16, 6))
    out = os.path.join(tmp, "m.dfu")
    cli("pack", "-o", out, "--name", "Internal Flash", f"0x08000000:{a}",
        "--alt", "1", "--name", "Option Bytes", f"0x1FFFC000:{b}")
    doc = json.loads(cli("info", "--json", out).stdout)
    assert [(t["alt"], t["name"], [e["address"] for e in t["elements"]]) for t in doc["targets"]] == [
        (0, "Internal Flash", [0x08000000]), (1, "Option Bytes", [0x1FFFC000])], doc["targets"]


@test
def pack_refuses_overlaps_and_missing_addresses(tmp):
    a = write(os.path.join(tmp, "a.bin"), pattern(32, 5))
    out = os.path.join(tmp, "o.dfu")
    p = cli("pack", "-o", out, f"0x08000000:{a}", f"0x08000010:{a}", expect=1)
    assert "overlap" in p.stderr, p.stderr
    p = cli("pack", "-o", out, a, expect=2)
    assert "0x08000000:" in p.stderr, p.stderr
    p = cli("pack", "-o", out, "0xZZ:" + a, expect=2)
    assert not os.path.exists(out)


@test
def convert_refuses_to_mix_targets(tmp):
    a = write(os.path.join(tmp, "a.bin"), pattern(32, 5))
    b = write(os.path.join(tmp, "b.bin"), pattern(16, 6))
    dfu = os.path.join(tmp, "two.dfu")
    cli("pack", "-o", dfu, f"0x08000000:{a}", "--alt", "1", f"0x1FFFC000:{b}")
    p = cli("convert", dfu, os.path.join(tmp, "two.hex"), expect=2)
    assert "choose one with --alt" in p.stderr and "alt 0, 1" in p.stderr, p.stderr
    cli("convert", "--alt", "1", dfu, os.path.join(tmp, "ob.hex"))
    doc = json.loads(cli("info", "--json", os.path.join(tmp, "ob.hex")).stdout)
    assert doc["targets"][0]["elements"][0]["address"] == 0x1FFFC000


@test
def convert_bin_says_base_and_fills_gaps(tmp):
    a = write(os.path.join(tmp, "a.bin"), pattern(16, 7))
    b = write(os.path.join(tmp, "b.bin"), pattern(16, 8))
    dfu = os.path.join(tmp, "s.dfu")
    cli("pack", "-o", dfu, f"0x08000000:{a}", f"0x08000020:{b}")
    out = os.path.join(tmp, "s.bin")
    p = cli("convert", dfu, out)
    assert "0x08000000" in p.stdout, p.stdout
    assert open(out, "rb").read() == pattern(16, 7) + b"\xff" * 16 + pattern(16, 8)


@test
def raw_input_needs_its_address(tmp):
    a = write(os.path.join(tmp, "a.bin"), pattern(64, 9))
    p = cli("convert", a, os.path.join(tmp, "a.hex"), expect=1)
    assert "address" in p.stderr
    cli("convert", "--address", "0x08004000", a, os.path.join(tmp, "a.hex"))
    doc = json.loads(cli("info", "--json", os.path.join(tmp, "a.hex")).stdout)
    assert doc["targets"][0]["elements"][0]["address"] == 0x08004000


# --- rough edges a new user hit (issue 16) ---

@test
def info_on_a_folder_or_device_says_what_it_is(tmp):
    for path, phrase in ((tmp, "is a folder"), ("/dev/null", "device or a pipe"), ("/dev/zero", "device or a pipe")):
        p = cli("info", path, expect=1)
        lines = p.stderr.strip().splitlines()
        assert len(lines) == 1 and phrase in lines[0] and path in lines[0], p.stderr
        assert "mmap" not in p.stderr and "map" not in p.stderr.lower().replace(path, ""), p.stderr
        cli("convert", path, os.path.join(tmp, "x.hex"), expect=1)


@test
def info_on_an_unreadable_file_prints_the_error_only(tmp):
    for path in (os.path.join(tmp, "missing.dfu"), tmp):
        p = cli("info", path, expect=1)
        assert p.stdout == "", ("no “format unknown” block after the error", p.stdout)
        assert len(p.stderr.strip().splitlines()) == 1, p.stderr
    # --json still gives one document per file
    doc = json.loads(cli("info", "--json", tmp, expect=1).stdout)
    assert doc["errors"] and "folder" in doc["errors"][0], doc


@test
def failed_convert_names_the_target_not_a_temporary_file(tmp):
    a = write(os.path.join(tmp, "a.bin"), pattern(64, 9))
    target = os.path.join(tmp, "no-such-dir", "x.hex")
    for extra in ([], ["--to", "bin"]):
        p = cli("convert", "--address", "0x08000000", *extra, a, target, expect=1)
        assert target in p.stderr, p.stderr
        assert not re.search(r"x\.hex\.\w{6}", p.stderr), ("GLib's temporary name leaked", p.stderr)
        assert "No such file or directory" in p.stderr, p.stderr


@test
def unpadded_warning_only_where_it_matters(tmp):
    # 7 bytes: not a multiple of 8; Defuse pads such writes itself
    a = write(os.path.join(tmp, "a.bin"), pattern(7, 10))
    odd = os.path.join(tmp, "odd.dfu")
    p = cli("pack", "--no-pad", "-o", odd, f"0x08000000:{a}")
    assert "multiple of 8" in p.stderr and "odd.dfu" in p.stderr, ("pack --no-pad warns", p.stderr)
    p = cli("info", odd)
    assert "multiple of 8" not in p.stdout + p.stderr, ("info does not", p.stdout)
    doc = json.loads(cli("info", "--json", odd).stdout)
    assert doc["warnings"] == [], doc
    p = cli("convert", odd, os.path.join(tmp, "padded.dfu"))
    assert "multiple of 8" not in p.stderr, ("convert pads by default: no warning", p.stderr)
    p = cli("convert", odd, os.path.join(tmp, "x.hex"))
    assert "multiple of 8" not in p.stderr, ("HEX has no elements to pad", p.stderr)
    p = cli("convert", "--no-pad", odd, os.path.join(tmp, "still-odd.dfu"))
    assert "multiple of 8" in p.stderr and "still-odd.dfu" in p.stderr, ("convert --no-pad warns", p.stderr)


if __name__ == "__main__":
    run()
