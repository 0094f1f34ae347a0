#!/usr/bin/env python3
"""A seeded campaign of one-off faults at random points of a flash
(defuse-sim --fault), on every virtual device that flashes: a stalled
request, a short, empty or missing answer, a spurious dfuERROR or error
status, a failed erase, write or read, a write the device lost (only the
verify sees it), a brown-out that resets the board back into DFU mode.
Each run starts from a memory full of other data and flashes an image
made for that device (two elements on a DfuSe device, one payload on a
plain DFU one).

Targets (issue 20): on every profile, at least 95% of the runs finish
verified without the user; no run changes a byte outside the sectors
the flash writes; a run that does not finish ends with one message and a
non-zero exit, and the next flash finishes.

DEFUSE_FAULT_SEED, DEFUSE_FAULT_RUNS (runs per kind and profile) and
DEFUSE_FAULT_PROFILES (comma-separated) vary it; the figures are printed
as TAP comments."""
import concurrent.futures
import json
import os
import random
import re
import subprocess

from simtest import CLI, F405_SECTORS, available, layout, sim, write
from simrun import FLIP_PROFILES, PROFILES
from taptest import pattern

SEED = int(os.environ.get("DEFUSE_FAULT_SEED", "20"))
RUNS_PER_KIND = int(os.environ.get("DEFUSE_FAULT_RUNS", "1"))

# (what, spec with {n}, what n counts in a clean run's statistics)
KINDS = [
    ("stalled request", "stall@request={n}", "requests"),
    ("stalled DNLOAD", "stall@dnload={n}", "DFU_DNLOAD"),
    ("stalled UPLOAD", "stall@upload={n}", "DFU_UPLOAD"),
    ("stalled GETSTATUS", "stall@getstatus={n}", "DFU_GETSTATUS"),
    ("missing answer", "no-answer=1@request={n}", "requests"),
    ("short status answer", "bad-status@getstatus={n}", "DFU_GETSTATUS"),
    ("empty status answer", "bad-status=0@getstatus={n}", "DFU_GETSTATUS"),
    ("spurious dfuERROR", "state=dfuERROR@getstatus={n}", "DFU_GETSTATUS"),
    ("spurious error status", "status=errUNKNOWN@getstatus={n}", "DFU_GETSTATUS"),
    ("failed erase", "status=errERASE@erase={n}", "erase"),
    ("failed write", "status=errWRITE@write={n}", "write"),
    ("device-reported verify error", "status=errVERIFY@write={n}", "write"),
    ("lost write (found by verify)", "lost@write={n}", "write"),
    ("failed read", "status=errUNKNOWN@upload={n}", "DFU_UPLOAD"),
    ("brown-out reset mid-write", "reset@byte={n}", "bytes"),
    ("reset between requests", "reset@request={n}", "requests"),
]


def profile_json(name):
    with open(os.path.join(PROFILES, name + ".json")) as f:
        return json.load(f)


def flashing_profiles():
    """Every profile defuse-sim lists, by name."""
    out = subprocess.run([os.environ["DEFUSE_SIM"], "--list-profiles"], capture_output=True, text=True,
                         check=True).stdout
    names = [line.split()[0] for line in out.splitlines() if line.strip()]
    wanted = os.environ.get("DEFUSE_FAULT_PROFILES")
    return [n for n in names if not wanted or n in wanted.split(",")]


def geometry_pages(geometry):
    """The pages of a plain DFU alt's '@name/0xADDR/N*SIZEKg' (one region)."""
    m = re.search(r"/\s*0x([0-9a-fA-F]+)/(\d+)\*(\d+)([KMB ]?)", geometry)
    start, count, size = int(m.group(1), 16), int(m.group(2)), int(m.group(3))
    size *= {"K": 1024, "M": 1024 * 1024}.get(m.group(4), 1)
    return [(start + i * size, size) for i in range(count)]


def device_image(tmp, name):
    """(file, sectors, memory size) of a flash made for this profile."""
    info = profile_json(name)
    if info["mode"] == "dfu":
        sectors = geometry_pages(info["alts"][0]["geometry"])
        size = sum(n for _, n in sectors)
        payload = write(os.path.join(tmp, "payload.bin"), pattern(size // 8 - 3, 1))
        out = os.path.join(tmp, "fw.dfu")
        subprocess.run([CLI, "convert", payload, out, "--vid", info["usb"]["vid"], "--pid", info["usb"]["pid"]],
                       check=True, capture_output=True)
        return out, sectors, size
    if info["mode"] == "flip":
        # a keyboard's firmware: a raw binary at 0, half the application
        # section, ending inside a page; the chip erase takes the whole
        # section, the bootloader's pages are never touched
        base, size, sectors = layout(tmp, name)
        app = FLIP_PROFILES[name][3]
        return write(os.path.join(tmp, "fw.bin"), pattern(app // 2 - 5, 1)), sectors, size
    if info["mode"] in ("runtime", "micropython"):
        base, size, sectors = 0x08000000, 1024 * 1024, F405_SECTORS  # they restart as an STM32F405
        vid, pid = "0x0483", "0xdf11"
    else:
        base, size, sectors = layout(tmp, name)
        vid, pid = info["usb"]["vid"], info["usb"]["pid"]
    second = next(s for s, _ in sectors if s >= base + size // 4)
    a = write(os.path.join(tmp, "p0.bin"), pattern(14776, 1))
    b = write(os.path.join(tmp, "p1.bin"), pattern(min(size // 8, 306928) - 5, 2))
    out = os.path.join(tmp, "fw.dfu")
    subprocess.run([CLI, "pack", "-o", out, "--vid", vid, "--pid", pid, f"0x{base:08x}:{a}",
                    f"0x{second:08x}:{b}"], check=True)
    return out, sectors, size


def sector_slices(sectors):
    base = sectors[0][0]
    return [(s - base, s - base + n) for s, n in sectors]


def kept_part(memory, slices, touched):
    """The bytes of the sectors the flash does not write."""
    return b"".join(memory[a:b] for i, (a, b) in enumerate(slices) if i not in touched)


def counters(tmp, fw, before_path, name):
    """A clean flash: where faults can go, and the memory it leaves."""
    r = sim(tmp, CLI, "flash", fw, flash_in=before_path, profile=name)
    assert r.status == 0, r
    stats = r.stats()
    found = dict(stats["by_request"])
    enumeration = found.get("GET_DESCRIPTOR", 0)
    found["requests"] = (enumeration + 1, stats["transfers"])
    found["erase"] = stats["ops"]["erase"]["count"] + stats["ops"]["mass_erase"]["count"]  # FLIP: one chip erase
    found["write"] = stats["ops"]["write"]["count"]
    found["bytes"] = (0, stats["ops"]["write"]["bytes"] - 1)
    ranges = {k: (v if isinstance(v, tuple) else (1, v)) for k, v in found.items()}
    return {k: v for k, v in ranges.items() if v[1] >= v[0]}, r.memory()


class Tally:
    def __init__(self):
        self.runs = self.finished = self.outside_ok = self.failed = self.clear = self.recovered = 0
        self.fired_all = True
        self.problems = []
        self.lines = []  # TAP comments, printed in the profiles' order

    def add(self, other):
        for field in ("runs", "finished", "outside_ok", "failed", "clear", "recovered"):
            setattr(self, field, getattr(self, field) + getattr(other, field))
        self.fired_all &= other.fired_all
        self.problems += other.problems


def campaign_on(name):
    """The campaign on one profile, in a folder of its own, with a random
    generator of its own (the same draws whatever runs beside it)."""
    import tempfile
    with tempfile.TemporaryDirectory(prefix=f"defuse-campaign-{name}-") as tmp:
        return campaign_in(tmp, name, random.Random(f"{SEED}-{name}"))


def campaign_in(tmp, name, rnd):
    fw, sectors, size = device_image(tmp, name)
    slices = sector_slices(sectors)
    before = pattern(size, 77)
    before_path = write(os.path.join(tmp, "before.bin"), before)
    ranges, want = counters(tmp, fw, before_path, name)
    touched = {i for i, (a, b) in enumerate(slices) if want[a:b] != before[a:b]}
    kept = kept_part(before, slices, touched)
    script = os.path.join(tmp, "flash.sh")
    write(script, (f"#!/bin/sh\n{CLI} flash --json {fw} > first.json 2> first.err\n"
                   f"status=$?\necho \"first exit $status\"\n"
                   f"[ $status = 0 ] || {CLI} flash {fw}\n").encode())
    os.chmod(script, 0o755)
    mine = Tally()
    plain = profile_json(name)["mode"] == "dfu"
    for what, spec, counter in KINDS:
        # a clean run without UPLOAD has none to fail; a plain DFU device
        # erases by itself, with no erase request to fail
        if counter not in ranges or (plain and counter == "erase"):
            continue
        low, high = ranges[counter]
        for _ in range(RUNS_PER_KIND):
            for _ in range(6):
                # polling counts vary between runs (mboot answers busy until
                # its main loop is done), and defuse-sim checks no fault on
                # a GETSTATUS it answers busy: a fault that did not fire is
                # drawn again
                fault = spec.format(n=rnd.randint(low, high))
                r = sim(tmp, script, faults=[fault], flash_in=before_path, profile=name)
                fired = re.search(r"\bfault\s+" + re.escape(fault) + " ", r.log())
                if fired:
                    break
            mine.runs += 1
            if not fired:
                mine.problems.append(f"{name} {fault}: never fired")
                mine.fired_all = False
            first = [int(line.split()[-1]) for line in r.out.splitlines() if line.startswith("first exit")]
            memory = r.memory()
            if kept_part(memory, slices, touched) == kept:
                mine.outside_ok += 1
            else:
                mine.problems.append(f"{name} {fault}: changed bytes outside the sectors the flash writes")
            if first == [0]:
                mine.finished += 1
                if memory != want:
                    mine.problems.append(f"{name} {fault}: finished but the memory is wrong")
                continue
            mine.failed += 1
            err = open(os.path.join(tmp, "first.err")).read()
            events = [json.loads(line) for line in open(os.path.join(tmp, "first.json"))]
            result = events[-1] if events else {}
            if (err.count("defuse-cli:") == 1 and result.get("ok") is False and
                    result.get("exit") == first[0] and result.get("kind")):
                mine.clear += 1
            else:
                mine.problems.append(f"{name} {fault}: no single clear failure: {err!r} {result}")
            mine.lines.append(f"# {name}: did not finish by itself: {what} ({fault}): {result.get('kind')}, "
                              f"exit {first}")
            if r.status == 0 and memory == want:
                mine.recovered += 1
            else:
                mine.problems.append(f"{name} {fault}: the next flash did not finish: {r}")
    mine.lines.append(f"# {name}: {mine.finished} of {mine.runs} finished verified without the user, "
                      f"{mine.outside_ok} of {mine.runs} left the other sectors alone, "
                      f"{mine.recovered} of {mine.failed} failures recovered by the next flash")
    return mine


def main():
    print("1..6", flush=True)
    if not available():
        for i in range(1, 7):
            print(f"ok {i} - fault campaign # SKIP no defuse-sim", flush=True)
        return 0
    total = Tally()
    worst = (2.0, None)  # the lowest share finished, and where
    profiles = flashing_profiles()
    # two profiles at a time: most of a run is waiting on processes
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        for name, mine in zip(profiles, pool.map(campaign_on, profiles)):
            print("\n".join(mine.lines), flush=True)
            total.add(mine)
            if mine.runs and mine.finished / mine.runs < worst[0]:
                worst = (mine.finished / mine.runs, name)

    print(f"# campaign (seed {SEED}, {RUNS_PER_KIND} runs per kind, {len(KINDS)} kinds, "
          f"{len(profiles)} profiles): {total.finished} of {total.runs} finished verified without the user "
          f"({100.0 * total.finished / total.runs:.1f}%; lowest {100.0 * worst[0]:.1f}% on {worst[1]}), "
          f"{total.outside_ok} of {total.runs} left every byte outside the written sectors alone, "
          f"{total.recovered} of {total.failed} failures recovered by the next flash", flush=True)
    for p in total.problems:
        print(f"# {p}", flush=True)
    results = [
        (len(profiles) >= 15 or "DEFUSE_FAULT_PROFILES" in os.environ,
         f"the campaign covers every profile ({len(profiles)})"),
        (total.fired_all, f"every one of the {total.runs} faults fired during the flash"),
        (total.finished >= 0.95 * total.runs,
         f"at least 95% of {total.runs} one-off faults finish by themselves ({total.finished})"),
        (total.outside_ok == total.runs, "no run changes a byte outside the sectors the flash writes"),
        (total.clear == total.failed, "every run that does not finish says so once, with a kind and its exit status"),
        (total.recovered == total.failed, "after every run that does not finish, the next flash finishes"),
    ]
    for i, (ok, name) in enumerate(results, 1):
        print(f"{'ok' if ok else 'not ok'} {i} - {name}", flush=True)
    return 0 if all(ok for ok, _ in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
