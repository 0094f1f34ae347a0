"""The build systems of README.md's "Use Defuse from your build", for the
README test: none of them can be installed here, so each is a stub that
runs exactly the command line the real one runs (COMPAT.md, with the
sources below), with the variable or setting the README changes.  The
flasher they call is the real one: defuse-cli through its dfu-util or pydfu
link, against a virtual board.

  make BOARD=B deploy [USE_PYDFU=0] [DFU_UTIL=..] [PYDFU=..]
      MicroPython ports/stm32/Makefile, RUN_DFU
  make KB:KM:flash [DFU_UTIL=..]
      QMK platforms/chibios/flash.mk, EXEC_DFU_UTIL and DFU_ARGS (STM32)
  west flash [--runner dfu-util] [--dfu-util EXE]
      Zephyr scripts/west_commands/runners/dfu.py, an STM32 board's
      board_runner_args(dfu-util "--pid=0483:df11" "--alt=0" "--dfuse")
  pio run -t upload          (reads upload_command of platformio.ini)
  arduino-cli upload         (reads tools.dfu-util.path of platform.local.txt;
      the pattern of Arduino's mbed cores, Portenta H7)

Each makes the file its build would have made from the samples in the
folder (firmware.dfu, app.bin); a DFU suffix is added where the build adds
one (QMK, PlatformIO: dfu-suffix -v 0483 -p df11 -a)."""

COMMON = r'''
import os, shlex, struct, subprocess, sys, zlib

def run(cmd, shell=False):
    print("+", cmd if shell else " ".join(shlex.quote(c) for c in cmd), flush=True)
    return subprocess.run(cmd, shell=shell).returncode

def with_suffix(src, dest, vid=0x0483, pid=0xdf11):
    os.makedirs(os.path.dirname(dest) or ".", exist_ok=True)
    data = open(src, "rb").read() + struct.pack("<HHHH", 0xffff, pid, vid, 0x0100) + b"UFD" + bytes([16])
    open(dest, "wb").write(data + struct.pack("<I", zlib.crc32(data) ^ 0xffffffff))

def copy(src, dest):
    os.makedirs(os.path.dirname(dest) or ".", exist_ok=True)
    open(dest, "wb").write(open(src, "rb").read())
'''

MAKE = COMMON + r'''
variables = dict(a.split("=", 1) for a in sys.argv[1:] if "=" in a)
targets = [a for a in sys.argv[1:] if "=" not in a and not a.startswith("-")]
if targets == ["deploy"]:
    # MicroPython: RUN_DFU
    board = variables.get("BOARD", "PYBV11")
    firmware = f"build-{board}/firmware.dfu"
    copy("firmware.dfu", firmware)
    vid = variables.get("BOOTLOADER_DFU_USB_VID", "0x0483")
    pid = variables.get("BOOTLOADER_DFU_USB_PID", "0xDF11")
    if variables.get("USE_PYDFU", "1") == "1":
        cmd = [*shlex.split(variables.get("PYTHON", "python3")), variables.get("PYDFU", "../../tools/pydfu.py"),
               "--vid", vid, "--pid", pid, "-u", firmware]
    else:
        cmd = [variables.get("DFU_UTIL", "dfu-util"), "-a", "0", "-d", f"{vid}:{pid}", "-D", firmware, "-s", ":leave"]
    sys.exit(run(cmd))
if len(targets) == 1 and targets[0].endswith(":flash"):
    # QMK (ChibiOS, STM32 bootloader): poll the list, then download
    keyboard, keymap = targets[0].split(":")[:2]
    firmware = f".build/{keyboard.replace('/', '_')}_{keymap}.bin"
    with_suffix("app.bin", firmware)
    dfu_util = variables.get("DFU_UTIL", "dfu-util")
    args = variables.get("DFU_ARGS", "-d 0483:DF11 -a 0 -s 0x08000000:leave")
    script = (f'n=0; while ! {dfu_util} -l | grep -q "Found DFU"; do n=$((n+1)); '
              f'[ $n -gt 100 ] && exit 1; sleep 0.05; done; {dfu_util} {args} -D {firmware}')
    sys.exit(run(script, shell=True))
sys.exit(f"make stub: only MicroPython's deploy and QMK's KB:KM:flash, not {sys.argv[1:]}")
'''

WEST = COMMON + r'''
import argparse
p = argparse.ArgumentParser(prog="west")
p.add_argument("command", choices=["flash"])
p.add_argument("-r", "--runner", default="dfu-util", choices=["dfu-util"])
p.add_argument("--dfu-util", default="dfu-util")
args = p.parse_args()
image = "build/zephyr/zephyr.bin"
copy("app.bin", image)
cmd = [args.dfu_util, "-d,0483:df11"]
# find_device(): the runner lists and looks for the alt it flashes
listed = subprocess.run(cmd + ["-l"], capture_output=True, text=True).stdout
if ", alt=0," not in listed:
    sys.exit("west stub: the runner's `dfu-util -l` shows no ', alt=0,': device not found\n" + listed)
sys.exit(run(cmd + ["-s", hex(0x08000000) + ":leave", "-a", "0", "-D", image]))
'''

PIO = COMMON + r'''
import configparser
if sys.argv[1:] not in (["run", "-t", "upload"], ["run", "--target", "upload"]):
    sys.exit(f"pio stub: only `pio run -t upload`, not {sys.argv[1:]}")
ini = configparser.ConfigParser(interpolation=None)
ini.read("platformio.ini")
env = [s for s in ini.sections() if s.startswith("env:")][0]
section = ini[env]
if section.get("upload_protocol") != "custom" or "upload_command" not in section:
    sys.exit("pio stub: the README's change is upload_protocol = custom and an upload_command")
source = os.path.abspath(f".pio/build/{env[4:]}/firmware.bin")
with_suffix("app.bin", source)  # the ststm32 platform appends it (dfu-suffix -v 0x0483 -p 0xDF11 -d 0xffff -a)
sys.exit(run(section["upload_command"].replace("$SOURCE", shlex.quote(source)), shell=True))
'''

ARDUINO_CLI = COMMON + r'''
if sys.argv[1:2] != ["upload"]:
    sys.exit(f"arduino-cli stub: only `arduino-cli upload`, not {sys.argv[1:]}")
settings = {}
for line in open("platform.local.txt"):
    if "=" in line and not line.lstrip().startswith("#"):
        key, value = line.split("=", 1)
        settings[key.strip()] = value.strip()
path = settings["tools.dfu-util.path"]
binary = "build/sketch.ino.bin"
copy("app.bin", binary)
# the mbed core's tools.dfu-util.upload.pattern (Portenta H7)
sys.exit(run([f"{path}/dfu-util", "--device", "0x2341:0x035b", "-D", binary, "-a0",
              "--dfuse-address=0x08040000:leave"]))
'''

STUBS = {"make": MAKE, "west": WEST, "pio": PIO, "arduino-cli": ARDUINO_CLI}

# the command a settings file's block is run with
COMMAND_FOR_FILE = {"platformio.ini": "pio run -t upload", "platform.local.txt": "arduino-cli upload"}
