"""A tiny TAP producer for the script tests, so meson counts each check."""
import os
import subprocess
import sys
import tempfile
import traceback

_tests = []


def test(fn):
    """Decorator: register a test function."""
    _tests.append(fn)
    return fn


def run():
    print(f"1..{len(_tests)}", flush=True)
    failed = 0
    for i, fn in enumerate(_tests, 1):
        try:
            with tempfile.TemporaryDirectory(prefix="defuse-test-") as tmp:
                result = fn(tmp)
            if result == "skip":
                print(f"ok {i} - {fn.__name__} # SKIP", flush=True)
            else:
                print(f"ok {i} - {fn.__name__}", flush=True)
        except Exception:
            failed += 1
            print(f"not ok {i} - {fn.__name__}", flush=True)
            for line in traceback.format_exc().splitlines():
                print(f"# {line}", flush=True)
    sys.exit(1 if failed else 0)


def cli(*args, check=True, expect=None):
    """Runs defuse-cli; returns the CompletedProcess.  expect: exit status."""
    exe = os.environ["DEFUSE_CLI"]
    proc = subprocess.run([exe, *map(str, args)], capture_output=True, text=True)
    want = expect if expect is not None else (0 if check else None)
    if want is not None and proc.returncode != want:
        raise AssertionError(
            f"defuse-cli {' '.join(map(str, args))}: exit {proc.returncode}, expected {want}\n"
            f"stdout: {proc.stdout}\nstderr: {proc.stderr}")
    return proc


def tool(*args, check=True):
    proc = subprocess.run(list(map(str, args)), capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def pattern(size, seed):
    """Deterministic bytes that differ per seed."""
    x = (seed * 2654435761 + 1) & 0xFFFFFFFF
    out = bytearray(size)
    for i in range(size):
        x = (x * 1103515245 + 12345) & 0xFFFFFFFF
        out[i] = (x >> 16) & 0xFF
    return bytes(out)
