#!/usr/bin/env python3
"""A client of defuse-sim --control: pulls a virtual board's cable and
plugs it back in, for a program run under defuse-sim.

  simctl.py unplug N      device N leaves the bus
  simctl.py plug N        device N is back (prints its new /dev node)

As a module: control("unplug 1").  The socket is $DEFUSE_SIM_CONTROL;
the runner answers once it is done, so no caller ever sleeps."""
import os
import socket
import sys


class ControlError(Exception):
    pass


def control(command, path=None):
    """sends one command line, returns what follows "ok" in the answer"""
    path = path or os.environ.get("DEFUSE_SIM_CONTROL")
    if not path:
        raise ControlError("DEFUSE_SIM_CONTROL is not set: run under defuse-sim --control SOCKET")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(path)
        s.sendall(command.encode() + b"\n")
        answer = b""
        while not answer.endswith(b"\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            answer += chunk
    answer = answer.decode(errors="replace").strip()
    if answer != "ok" and not answer.startswith("ok "):
        raise ControlError(f"{command}: {answer or 'no answer'}")
    return answer[3:]


def main(argv):
    if len(argv) != 3 or argv[1] not in ("unplug", "plug"):
        print("Usage: simctl.py unplug|plug N", file=sys.stderr)
        return 2
    try:
        out = control(f"{argv[1]} {argv[2]}")
    except (ControlError, OSError) as e:
        print(f"simctl.py: {e}", file=sys.stderr)
        return 1
    if out:
        print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
