#!/usr/bin/env python3
"""The quirk table end to end: each quirk a profile needs is proven needed
(switched off by a user quirk file, the flash fails the way the field
reported), a user quirk file changes the behaviour it names, boards that
share a serial are told apart by port path, and list shows what applies."""
import json
import os
import subprocess

from simtest import CLI, available, expected_memory, pattern, sim, write
from taptest import run, test


def user_quirks(tmp, text):
    """A user quirk directory holding text; its path, for DEFUSE_QUIRKS_DIR."""
    folder = os.path.join(tmp, "quirks.d")
    os.makedirs(folder, exist_ok=True)
    write(os.path.join(folder, "test.quirk"), text.encode())
    return folder


def flash(tmp, profile, elements, quirks_dir=None, count=1, extra_args=(), before=None):
    """Packs elements [(address, bytes)] into a .dfu and flashes it."""
    parts = [f"0x{a:08x}:{write(os.path.join(tmp, f'e{i}.bin'), d)}" for i, (a, d) in enumerate(elements)]
    fw = os.path.join(tmp, "fw.dfu")
    subprocess.run([CLI, "pack", "--no-pad", "-o", fw, *parts], check=True)
    return sim(tmp, *with_quirks(quirks_dir), CLI, "flash", *extra_args, fw,
               profile=profile, count=count, flash_in=before)


def with_quirks(quirks_dir):
    """The start of a command that runs with that user quirk directory."""
    return ["env", f"DEFUSE_QUIRKS_DIR={quirks_dir}"] if quirks_dir else []


def sectors_of(base, runs):
    out, at = [], base
    for count, size in runs:
        for _ in range(count):
            out.append((at, size))
            at += size
    return out


@test
def gd32vf103_needs_its_layout_quirk(tmp):
    if not available():
        return "skip"
    data = pattern(6000, 3)
    r = flash(tmp, "gd32vf103", [(0x08000000, data)])
    assert r.status == 0, r
    want = expected_memory(b"\xff" * 0x20000, 0x08000000, [(0x08000000, data)],
                           sectors_of(0x08000000, [(128, 1024)]))
    assert r.memory() == want
    # switched off: the 2 KiB pages it claims are really 1 KiB, half of each
    # "page" is never erased and the overwrite fails silently (gd32-dfu-utils #5)
    off = user_quirks(tmp, "[gd32vf103-rom-1000-layout]\nenabled=false\n")
    before = write(os.path.join(tmp, "old.bin"), pattern(0x20000, 9))
    r = flash(tmp, "gd32vf103", [(0x08000000, data)], quirks_dir=off, before=before)
    assert r.status != 0, r
    assert "verif" in r.err.lower(), r


@test
def h7_rev_v_needs_clearing_twice(tmp):
    if not available():
        return "skip"
    data = pattern(4096, 5)
    r = flash(tmp, "stm32h743-rev-v", [(0x08100000, data)])
    assert r.status == 0, r
    assert r.memory()[0x100000:0x101000] == data
    # STM32CubeProgrammer's procedure: two CLRSTATUS after the wedged erase
    assert r.stats()["by_request"].get("DFU_CLRSTATUS") == 2, r.stats()["by_request"]
    # switched off: stuck in dfuDNBUSY after the erase, as Betaflight saw
    off = user_quirks(tmp, "[stm32h7-rev-v-erase-wedge]\nenabled=false\n")
    r = flash(tmp, "stm32h743-rev-v", [(0x08100000, data)], quirks_dir=off)
    assert r.status != 0, r
    assert "dfuDNBUSY" in r.err and "erasing the sector at 0x08100000" in r.err, r


@test
def g4_needs_1024_byte_writes(tmp):
    if not available():
        return "skip"
    data = pattern(9000, 6)
    r = flash(tmp, "stm32g431", [(0x08000000, data)])
    assert r.status == 0, r
    assert r.memory()[:9000] == data
    # switched off: 2048-byte writes stall (siliconwitchery/web-stm32-updater#3)
    off = user_quirks(tmp, "[stm32g0-g4-rom]\nmax-transfer-size=\n")
    r = flash(tmp, "stm32g431", [(0x08000000, data)], quirks_dir=off)
    assert r.status != 0, r
    assert "stall" in r.err, r


@test
def l4_back_in_dfu_mode_is_explained(tmp):
    if not available():
        return "skip"
    note = "comes back in DFU mode"
    data = pattern(5000, 7)
    r = flash(tmp, "stm32l476-empty", [(0x08000000, data)])
    assert r.status == 0 and note in r.out + r.err, r
    # without the quirk the same flash says nothing while the board stays in DFU mode
    off = user_quirks(tmp, "[stm32l4-rom]\nreturns-in-dfu-after-leave=\n")
    r = flash(tmp, "stm32l476-empty", [(0x08000000, data)], quirks_dir=off)
    assert r.status == 0 and note not in r.out + r.err, r
    assert "leave" in r.log(), r.log()[-2000:]


@test
def user_quirk_file_changes_transfer_size(tmp):
    if not available():
        return "skip"
    data = pattern(8192, 8)
    r = flash(tmp, "stm32f405", [(0x08000000, data)])
    assert r.status == 0, r
    full = r.stats()
    mine = user_quirks(tmp, "[my-f405]\nvid-pid=0483:df11\nserial=3276365C3235\nmax-transfer-size=512\n")
    r = flash(tmp, "stm32f405", [(0x08000000, data)], quirks_dir=mine)
    assert r.status == 0, r
    assert r.memory()[:8192] == data
    small = r.stats()
    writes = lambda s: s["ops"]["write"]["count"]  # noqa: E731
    assert writes(full) == 4 and writes(small) == 16, (writes(full), writes(small))
    # list --verbose names the user's entry and its file
    r = sim(tmp, *with_quirks(mine), CLI, "list", "--verbose")
    assert "quirk my-f405 (" + os.path.join(mine, "test.quirk") + "): max-transfer-size=512" in r.out, r


@test
def f072_boards_sharing_a_serial_are_told_apart(tmp):
    if not available():
        return "skip"
    r = sim(tmp, CLI, "list", "--json", profile="stm32f072", count=2)
    assert r.status == 0, r
    devices = json.loads(r.out)
    assert [d["serial"] for d in devices] == ["FFFFFFFEFFFF"] * 2, devices
    paths = [d["path"] for d in devices]
    assert len(set(paths)) == 2, paths
    assert all(any(q["entry"] == "stm32f0-rom" for q in d["quirks"]) for d in devices), devices
    a, b = pattern(3000, 1), pattern(3000, 2)
    fa = write(os.path.join(tmp, "a.bin"), a)
    fb = write(os.path.join(tmp, "b.bin"), b)
    subprocess.run([CLI, "pack", "-o", os.path.join(tmp, "a.dfu"), f"0x08000000:{fa}"], check=True)
    subprocess.run([CLI, "pack", "-o", os.path.join(tmp, "b.dfu"), f"0x08000000:{fb}"], check=True)
    script = (f"{CLI} flash --device {paths[0]} a.dfu && {CLI} flash --device {paths[1]} b.dfu")
    r = sim(tmp, "sh", "-c", script, profile="stm32f072", count=2)
    assert r.status == 0, r
    got = {r.memory(1)[:3000], r.memory(2)[:3000]}
    assert got == {a, b}, [m[:8].hex() for m in got]
    # by serial the choice is ambiguous, and says so
    r = sim(tmp, CLI, "flash", "--device", "FFFFFFFEFFFF", "a.dfu", profile="stm32f072", count=2)
    assert r.status != 0 and paths[0] in r.err and paths[1] in r.err, r


@test
def u_boot_on_st_ids_is_plain_dfu(tmp):
    if not available():
        return "skip"
    r = sim(tmp, CLI, "list", "--json", profile="u-boot-stm32mp1")
    assert r.status == 0, r
    d = json.loads(r.out)[0]
    assert d["mode"] == "dfu", d
    assert [a["name"] for a in d["alts"]] == ["mmc1_boot1", "mmc1_boot2"], d
    assert [q["entry"] for q in d["quirks"]] == ["u-boot-plain-dfu-on-st-ids"], d


# what the catalog (data/catalog/defuse.catalog) calls each profile's device
CATALOG_NAMES = {
    "stm32f405": ("stm32f4-rom", "STM32F4 system bootloader, 1 MiB"),
    "stm32f411": ("stm32f4-rom", "STM32F4 system bootloader, 512 KiB"),
    "stm32h743": ("stm32h7-rom", "STM32H7 system bootloader, 2 MiB"),
    "stm32h743-rev-v": ("stm32h7-rom", "STM32H7 system bootloader, 2 MiB"),
    "stm32l476": ("stm32l4-rom", "STM32L4 system bootloader, 1 MiB"),
    "stm32l476-empty": ("stm32l4-rom", "STM32L4 system bootloader, 1 MiB"),
    "stm32f072": ("stm32f0-rom", "STM32F0 system bootloader, 128 KiB"),
    "stm32g0b1": ("stm32g0-rom", "STM32G0 system bootloader, 512 KiB"),
    "stm32g431": ("stm32g4-rom", "STM32G4 system bootloader, 128 KiB"),
    "gd32vf103": ("gd32vf103", "GD32VF103 DFU bootloader, 128 KiB"),
    "gd32vf103-rom-0100": ("gd32vf103", "GD32VF103 DFU bootloader, 128 KiB"),
    "mboot-f769": ("micropython-mboot", "MicroPython mboot bootloader, 2 MiB"),
    "at32f415": ("at32", "Artery AT32 DFU bootloader, 256 KiB"),
    "u-boot-stm32mp1": ("u-boot-stm32mp", "U-Boot DFU (STM32MP)"),
    # Defuse's own test devices are no known bootloader: their product string
    "dfu11": (None, "DFU 1.1 test device"),
    "runtime": (None, "Runtime test application"),
}


def make_catalog_test(profile, catalog, name):
    def check(tmp):
        if not available():
            return "skip"
        r = sim(tmp, CLI, "list", "--json", profile=profile)
        assert r.status == 0, r
        d = json.loads(r.out)[0]
        assert (d["catalog"], d["name"]) == (catalog, name), (d["catalog"], d["name"])
        assert isinstance(d["quirks"], list), d
        for q in d["quirks"]:
            assert set(q) == {"entry", "origin", "settings", "reason"} and q["origin"] == "built-in", q
        r = sim(tmp, CLI, "list", profile=profile)
        assert r.out.startswith(name + " ("), r
    check.__name__ = "catalog_names_" + profile.replace("-", "_")
    return check


for _profile, (_catalog, _name) in CATALOG_NAMES.items():
    test(make_catalog_test(_profile, _catalog, _name))


@test
def catalog_knows_an_stm32_it_cannot_place(tmp):
    """The C5 profile's identity is assumed (no dump seen): whatever it is
    called, it is an STM32 system bootloader with its size."""
    if not available():
        return "skip"
    r = sim(tmp, CLI, "list", "--json", profile="stm32c5")
    d = json.loads(r.out)[0]
    assert d["family"] == "STM32" and d["name"].endswith("system bootloader, 256 KiB"), d


@test
def list_verbose_with_nothing_plugged_in_shows_the_steps(tmp):
    if not available():
        return "skip"
    r = sim(tmp, "sh", "-c", f"{CLI} list --verbose", profile="stm32f405", extra=["--plug-later", "1"])
    assert r.status == 0, r
    assert "How to start the bootloader of known boards:" in r.out, r
    assert "  STM32: Hold BOOT0 high" in r.out and "  Particle: Hold SETUP" in r.out, r


if __name__ == "__main__":
    run()
