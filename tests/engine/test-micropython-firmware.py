#!/usr/bin/env python3
"""MicroPython's official firmware (issue 22): defuse-cli micropython
firmware, download and update against a site in micropython.org's shape
served on 127.0.0.1 (mpsite.py: real HTTP through libsoup, never the
internet), with firmware files made here by defuse-cli pack, and the
virtual pyboard (defuse-sim --profile pyboard) for the update and the
banner check.  Every bad answer of the site gives one message and leaves
nothing in the cache; nothing is flashed."""
import json
import os
import signal
import subprocess
import time

from mpsite import Site
from simtest import CLI, F405_SIZE, available, pattern, sim, write
from taptest import run, test

PYB = "PYBv1.1 with STM32F405RG"
FS_START, FS_END = 0x08004000, 0x0801FFFF


def elements(version, date, machine=PYB, text_at=0x08020000, isr_size=14776):
    """A pyboard-shaped build (ISR text at 0x08000000, the rest at
    text_at) holding its banner: (address, bytes) of each element."""
    banner = f"MicroPython v{version} on {date}; {machine}\0".encode()
    text = bytearray(pattern(120000, len(version) + len(machine)))
    text[4096:4096 + len(banner)] = banner
    return [(0x08000000, pattern(isr_size, 1)), (text_at, bytes(text))]


def firmware(tmp, version, date, machine=PYB, text_at=0x08020000, crc_ok=True, isr_size=14776):
    """The build packed as MicroPython's dfu.py does (0483:df11)."""
    args = []
    for i, (address, data) in enumerate(elements(version, date, machine, text_at, isr_size)):
        args.append(f"0x{address:08x}:" + write(os.path.join(tmp, f"p{i}.bin"), data))
    out = os.path.join(tmp, "packed.dfu")
    subprocess.run([CLI, "pack", "-o", out, "--vid", "0x0483", "--pid", "0xdf11", *args], check=True)
    data = bytearray(open(out, "rb").read())
    if not crc_ok:
        data[-1] ^= 0xFF
    return bytes(data)


def pyboard_files(tmp):
    return {"PYBV11": {
        "PYBV11-20241129-v1.24.1.dfu": firmware(tmp, "1.24.1", "2024-11-29"),
        "PYBV11-20250415-v1.25.0.dfu": firmware(tmp, "1.25.0", "2025-04-15"),
        "PYBV11-20250415-v1.25.0.hex": b":00000001FF\n",
        "PYBV11-DP-20250415-v1.25.0.dfu": firmware(tmp, "1.25.0", "2025-04-15"),
        "PYBV11-20250601-v1.26.0-preview.12.gabcdef012.dfu": firmware(tmp, "1.26.0-preview.12.gabcdef012", "2025-06-01"),
    }}


def home(tmp):
    """Cache and settings of this test only; loopback without a proxy."""
    os.environ["XDG_CACHE_HOME"] = os.path.join(tmp, "cache")
    os.environ["XDG_CONFIG_HOME"] = os.path.join(tmp, "config")
    for v in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        os.environ.pop(v, None)
    return os.path.join(tmp, "cache", "defuse", "firmware")


def cached(tmp, board="PYBV11"):
    d = os.path.join(tmp, "cache", "defuse", "firmware", board)
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def mp(*args):
    return subprocess.run([CLI, "micropython", *args], capture_output=True, text=True, timeout=60)


def one_error(p, status):
    lines = [line for line in p.stderr.splitlines() if line.startswith("defuse-cli:")]
    assert p.returncode == status and len(lines) == 1, p
    return lines[0]


@test
def firmware_lists_stable_releases_newest_first(tmp):
    home(tmp)
    with Site(pyboard_files(tmp)) as site:
        p = mp("firmware", "--board", "PYBV11", "--site", site.url())
        assert p.returncode == 0, p
        assert p.stdout.splitlines() == ["v1.25.0  2025-04-15  PYBV11-20250415-v1.25.0.dfu",
                                         "v1.24.1  2024-11-29  PYBV11-20241129-v1.24.1.dfu"], p
        p = mp("firmware", "--board", "PYBV11-DP", "--preview", "--json", "--site", site.url())
        doc = json.loads(p.stdout)
        assert (doc["board"], doc["variant"]) == ("PYBV11", "DP"), doc
        assert [r["file"] for r in doc["releases"]] == ["PYBV11-DP-20250415-v1.25.0.dfu"], doc
        p = mp("firmware", "--board", "PYBV11", "--preview", "--json", "--site", site.url())
        releases = json.loads(p.stdout)["releases"]
        assert [(r["version"], r["preview"]) for r in releases] == [
            ("1.26.0-preview.12.gabcdef012", True), ("1.25.0", False), ("1.24.1", False)], releases
        assert releases[1]["url"] == site.url() + "resources/firmware/PYBV11-20250415-v1.25.0.dfu"
        assert all(r["cached"] is None for r in releases), releases
        # only the board's page: no file was fetched to list them
        assert all("/download/PYBV11/" in r for r in site.requests), site.requests


@test
def download_keeps_the_checked_file_and_uses_it_again(tmp):
    home(tmp)
    files = pyboard_files(tmp)
    with Site(files) as site:
        p = mp("download", "--board", "PYBV11", "--site", site.url())
        assert p.returncode == 0, p
        path = p.stdout.splitlines()[-1]
        assert path == os.path.join(tmp, "cache/defuse/firmware/PYBV11/PYBV11-20250415-v1.25.0.dfu"), p
        assert open(path, "rb").read() == files["PYBV11"]["PYBV11-20250415-v1.25.0.dfu"]
        assert cached(tmp) == ["PYBV11-20250415-v1.25.0.dfu"]
        p = mp("firmware", "--board", "PYBV11", "--site", site.url())
        assert p.stdout.splitlines()[0].endswith("PYBV11-20250415-v1.25.0.dfu  (cached)"), p
        fetched = [r for r in site.requests if "/resources/" in r]
        p = mp("download", "--board", "PYBV11", "--site", site.url())
        assert p.returncode == 0 and p.stdout.strip() == path, p
        assert [r for r in site.requests if "/resources/" in r] == fetched, site.requests
        # an older version by name, and a version that does not exist
        p = mp("download", "--board", "PYBV11", "--version", "1.24.1", "--site", site.url())
        assert p.returncode == 0 and p.stdout.strip().endswith("PYBV11-20241129-v1.24.1.dfu"), p
        p = mp("download", "--board", "PYBV11", "--version", "1.23.0", "--site", site.url())
        assert "there is no MicroPython v1.23.0 for PYBV11" in one_error(p, 3), p


@test
def bad_answers_of_the_site_leave_nothing_behind(tmp):
    home(tmp)
    with Site(pyboard_files(tmp)) as site:
        cases = [
            (["firmware", "--board", "PYBV10"], "ok", 3, "download/PYBV10/ answered 404 Not Found"),
            (["firmware", "--board", "PYBV11"], "500", 6, "download/PYBV11/ answered 500 Internal Server Error"),
            (["firmware", "--board", "PYBV11"], "changed", 6,
             "links no firmware file named as MicroPython names them (/resources/firmware/PYBV11-YYYYMMDD-vX.Y.Z.dfu): "
             "the site has changed"),
            (["download", "--board", "PYBV11"], "truncated", 7, "stopped after 67"),
            (["download", "--board", "PYBV11"], "wrongtype", 6,
             "answered a page (“text/html”), not a firmware file"),
        ]
        for args, mode, status, message in cases:
            p = mp(*args, "--site", site.url(mode))
            error = one_error(p, status)
            assert message in error, (mode, p)
            assert cached(tmp) == [], (mode, cached(tmp))
        p = mp("firmware", "--board", "NOT_A_BOARD", "--site", site.url())
        assert "“NOT_A_BOARD” is not a MicroPython board Defuse knows" in one_error(p, 3), p
        p = mp("firmware", "--board", "RPI_PICO", "--site", site.url())
        assert "RPI_PICO is a MicroPython rp2 board, flashed by copying a .uf2 file" in one_error(p, 5), p
        assert not any("RPI_PICO" in r for r in site.requests), site.requests


@test
def a_file_that_fails_its_checks_is_refused(tmp):
    home(tmp)
    files = {"PYBV11": {
        "PYBV11-20250415-v1.25.0.dfu": firmware(tmp, "1.25.0", "2025-04-15", crc_ok=False),
        "PYBV11-20250416-v1.25.1.dfu": firmware(tmp, "1.25.1", "2025-04-16", machine="DCFURS with STM32L496"),
        "PYBV11-20250417-v1.25.2.dfu": firmware(tmp, "1.25.2", "2025-04-17", text_at=0x08100000),
        "PYBV11-20250418-v1.25.3.dfu": firmware(tmp, "1.25.0", "2025-04-18"),
    }}
    with Site(files) as site:
        for version, message in [("1.25.0", "CRC mismatch"),
                                 ("1.25.1", "its banner says it is built for “DCFURS with STM32L496”, not for PYBV11"),
                                 ("1.25.2", "lies outside PYBV11's flash (0x08000000-0x080fffff)"),
                                 ("1.25.3", "its banner says MicroPython v1.25.0, its name v1.25.3")]:
            p = mp("download", "--board", "PYBV11", "--version", version, "--site", site.url())
            error = one_error(p, 1)
            assert "fails its checks, so it was not used" in error and message in error, (version, p)
            assert cached(tmp) == [], cached(tmp)


@test
def offline_the_cache_is_offered(tmp):
    home(tmp)
    with Site(pyboard_files(tmp)) as site:
        assert mp("download", "--board", "PYBV11", "--site", site.url()).returncode == 0
        url = site.url()
    # the server is gone: nothing listens on its port any more
    p = mp("firmware", "--board", "PYBV11", "--site", url)
    assert p.returncode == 0, p
    assert p.stdout.splitlines() == ["v1.25.0  2025-04-15  PYBV11-20250415-v1.25.0.dfu  (cached)"], p
    assert p.stderr.startswith(f"could not reach {url}download/PYBV11/: ") and \
        p.stderr.rstrip().endswith("; showing the files already in the cache."), p
    p = mp("download", "--board", "PYBV11", "--site", url)
    assert p.returncode == 0 and p.stdout.strip().endswith("PYBV11-20250415-v1.25.0.dfu"), p
    # nothing in the cache for this variant: the site's error, once
    p = mp("firmware", "--board", "PYBV11-DP", "--site", url)
    assert one_error(p, 7).startswith(f"defuse-cli: could not reach {url}download/PYBV11/: "), p


@test
def cancel_mid_download(tmp):
    home(tmp)
    with Site(pyboard_files(tmp)) as site:
        proc = subprocess.Popen([CLI, "micropython", "download", "--board", "PYBV11", "--site", site.url("slow")],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 20
        while not any("/resources/" in r for r in site.requests) and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 8, (proc.returncode, out, err)
        assert err.strip() == "defuse-cli: Cancelled.", err
        assert cached(tmp) == [], cached(tmp)


@test
def a_full_disk_leaves_nothing_half_written(tmp):
    cache = os.path.join(tmp, "cache")
    os.makedirs(cache)
    # a 64 KiB filesystem of its own; needs root (mount), skipped otherwise
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", cache],
                      capture_output=True).returncode != 0:
        return "skip"
    try:
        home(tmp)
        with Site(pyboard_files(tmp)) as site:
            p = mp("download", "--board", "PYBV11", "--site", site.url())
            assert "the disk is full; free some space and try again" in one_error(p, 1), p
            left = [os.path.join(d, f) for d, _, fs in os.walk(os.path.join(cache, "defuse")) for f in fs]
            assert left == [], left
    finally:
        subprocess.run(["umount", cache], check=True)


@test
def update_from_an_older_release_keeps_the_files(tmp):
    if not available():
        return "skip"
    home(tmp)
    mem = bytearray(b"\xff" * F405_SIZE)
    for address, data in elements("1.24.1", "2024-11-29"):
        mem[address - 0x08000000:address - 0x08000000 + len(data)] = data
    mem[FS_START - 0x08000000:FS_END + 1 - 0x08000000] = pattern(FS_END + 1 - FS_START, 99)
    before = write(os.path.join(tmp, "before.bin"), bytes(mem))
    with Site(pyboard_files(tmp)) as site:
        # 1.24.1 does not say its build: the five builds of the pyboard fit
        r = sim(tmp, CLI, "micropython", "update", "--site", site.url(), profile="pyboard", flash_in=before)
        error = [line for line in r.err.splitlines() if line.startswith("defuse-cli:")]
        assert r.status == 3 and len(error) == 1, r
        assert "may be any of: PYBV11, PYBV11-DP, PYBV11-DP_THREAD, PYBV11-NETWORK, PYBV11-THREAD; say which with --board" \
            in error[0], r
        assert r.memory() == bytes(mem) and "machine.bootloader()" not in r.log(), r
        r = sim(tmp, CLI, "micropython", "update", "--board", "PYBV11", "--site", site.url(),
                profile="pyboard", flash_in=before)
        assert r.status == 0, r
        lines = r.out.splitlines()
        assert lines[1].startswith("MicroPython v1.25.0 for PYBV11: ") and lines[1].endswith("PYBV11-20250415-v1.25.0.dfu"), r
        assert "are kept: the file does not touch them" in r.out, r
        assert lines[-1] == f"Now running MicroPython v1.25.0 on {PYB} (/dev/ttyACM1)", r
        after = r.memory()
        assert after[FS_START - 0x08000000:FS_END + 1 - 0x08000000] == bytes(mem[FS_START - 0x08000000:FS_END + 1 - 0x08000000])
        for address, data in elements("1.25.0", "2025-04-15"):
            assert after[address - 0x08000000:address - 0x08000000 + len(data)] == data, hex(address)
        # the answer is remembered for the board's serial number
        r = sim(tmp, CLI, "micropython", "firmware", "--site", site.url(), profile="pyboard", flash_in=before)
        assert r.status == 0 and r.out.splitlines()[0].endswith("PYBV11-20250415-v1.25.0.dfu  (cached)"), r


def flashed_with(tmp, version, date, machine=PYB):
    """The pyboard's flash holding a build (what it runs at start)."""
    mem = bytearray(b"\xff" * F405_SIZE)
    for address, data in elements(version, date, machine):
        mem[address - 0x08000000:address - 0x08000000 + len(data)] = data
    return write(os.path.join(tmp, "before.bin"), bytes(mem)), bytes(mem)


@test
def a_board_that_says_its_build_is_known_without_asking(tmp):
    if not available():
        return "skip"
    home(tmp)
    before, _ = flashed_with(tmp, "1.25.0", "2025-04-15")
    with Site(pyboard_files(tmp)) as site:
        # 1.25.0 reports sys.implementation._build "PYBV11": no question
        r = sim(tmp, CLI, "micropython", "firmware", "--device", "/dev/ttyACM0", "--site", site.url(),
                profile="pyboard", flash_in=before)
        assert r.status == 0, r
        assert r.out.splitlines()[0] == "v1.25.0  2025-04-15  PYBV11-20250415-v1.25.0.dfu", r
        # it runs the newest stable already; previews only when asked
        r = sim(tmp, CLI, "micropython", "update", "--site", site.url(), profile="pyboard", flash_in=before)
        assert r.status == 0, r
        assert r.out.strip() == "/dev/ttyACM0 runs MicroPython v1.25.0; the newest stable release of PYBV11 is " \
                                "v1.25.0: nothing to do", r
        assert "machine.bootloader()" not in r.log(), r
        r = sim(tmp, CLI, "micropython", "update", "--preview", "--site", site.url(), profile="pyboard",
                flash_in=before)
        assert r.status == 0 and r.out.splitlines()[-1] == \
            f"Now running MicroPython v1.26.0-preview.12.gabcdef012 on {PYB} (/dev/ttyACM1)", r


@test
def a_firmware_for_another_board_is_not_flashed_without_force(tmp):
    if not available():
        return "skip"
    home(tmp)
    before, mem = flashed_with(tmp, "1.24.1", "2024-11-29")
    other = write(os.path.join(tmp, "dcfurs.dfu"), firmware(tmp, "1.25.0", "2025-04-15", machine="DCFURS with STM32L496"))
    r = sim(tmp, CLI, "flash", other, profile="pyboard", flash_in=before)
    error = [line for line in r.err.splitlines() if line.startswith("defuse-cli:")]
    assert r.status == 5 and len(error) == 1, r
    assert "the file is MicroPython v1.25.0 built for “DCFURS with STM32L496” but this board is " \
           f"“{PYB}”; flash it only if you are sure it is the right firmware (--force)" in error[0], r
    assert r.memory() == mem and "machine.bootloader()" not in r.log(), r
    r = sim(tmp, CLI, "flash", "--force", other, profile="pyboard", flash_in=before)
    assert r.status == 0 and "Now running MicroPython v1.25.0 on DCFURS with STM32L496" in r.out, r
    # a file without a banner, or with the board's own, goes as before
    own = write(os.path.join(tmp, "own.dfu"), firmware(tmp, "1.25.0", "2025-04-15"))
    r = sim(tmp, CLI, "flash", own, profile="pyboard", flash_in=before)
    assert r.status == 0, r


@test
def an_update_that_would_erase_the_files_is_refused(tmp):
    if not available():
        return "skip"
    home(tmp)
    before, mem = flashed_with(tmp, "1.24.1", "2024-11-29")
    # its first element runs into sector 1, the start of the filesystem
    files = {"PYBV11": {"PYBV11-20250415-v1.25.0.dfu": firmware(tmp, "1.25.0", "2025-04-15", isr_size=0x6000)}}
    with Site(files) as site:
        r = sim(tmp, CLI, "micropython", "update", "--board", "PYBV11", "--site", site.url(),
                profile="pyboard", flash_in=before)
        error = [line for line in r.err.splitlines() if line.startswith("defuse-cli:")]
        assert r.status == 5 and len(error) == 1, r
        assert "would overwrite the board's files (its filesystem at 0x08004000-0x0801ffff)" in error[0], r
        assert r.memory() == mem and "machine.bootloader()" not in r.log(), r


if __name__ == "__main__":
    run()
