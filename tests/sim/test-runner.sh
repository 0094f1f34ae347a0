#!/bin/bash
# defuse-sim's own contract: exit statuses, outputs (also into a symlink to
# stdout, which must stay a symlink), --count serials and file names,
# per-device faults, --list-profiles, --time-scale 0.  TAP output.
set -u
: "${DEFUSE_SIM:?}"
DFU_UTIL=$(command -v dfu-util) || { echo "1..0 # SKIP dfu-util is not installed"; exit 0; }
PYTHON=$(command -v python3)
HERE=$(cd "$(dirname "$0")" && pwd)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
n=0
failed=0

ok () {  # ok STATUS NAME [FILE...]
  local status=$1 name=$2
  shift 2
  n=$((n + 1))
  if [ "$status" = 0 ]; then
    echo "ok $n - $name"
  else
    echo "not ok $n - $name"
    failed=1
    for f in "$@"; do
      echo "# --- $f"
      sed 's/^/# /' "$f" 2>/dev/null | tail -30
    done
  fi
}

sim () {
  "$DEFUSE_SIM" --time-scale 0.01 "$@" > out.txt 2> err.txt
}

sim --profile stm32f405 -- sh -c 'exit 7'
ok $(( $? != 7 )) "COMMAND's exit status is the runner's" err.txt

sim --profile stm32f405 -- sh -c 'kill -TERM $$'
ok $(( $? != 143 )) "killed by SIGTERM: 128 + 15" err.txt

sim --profile stm32f405 -- ./no-such-program
status=$?
grep -q 'cannot run ./no-such-program' err.txt
ok $(( status != 127 || $? != 0 )) "a command that cannot start: 127 and why" err.txt

sim --profile no-such-profile -- true
status=$?
grep -q 'no device profile "no-such-profile"' err.txt
ok $(( status != 2 || $? != 0 )) "an unknown profile: 2 and the profiles there are" err.txt

sim --profile stm32f405 --fault 'explode@request=1' -- true
ok $(( $? != 2 )) "a bad fault spec: 2" err.txt

sim --profile stm32f405 --count 2 --fault '3:stall@request=1' -- true
status=$?
grep -q 'there is no device 3' err.txt
ok $(( status != 2 || $? != 0 )) "a fault for a device that does not exist: 2" err.txt

sim --profile stm32f405 --count 2 --plug-later 3 -- true
status=$?
grep -q -- '--plug-later must be 0..2' err.txt
ok $(( status != 2 || $? != 0 )) "--plug-later more than --count: 2 and why" err.txt

"$DEFUSE_SIM" --list-profiles > out.txt 2> err.txt
[ "$(grep -c -E '^(dfu11|gd32vf103|runtime|stm32f072|stm32f405|stm32f411|stm32h743|stm32l476) ' out.txt)" = 8 ]
ok $? "--list-profiles lists the eight profiles" out.txt err.txt

# outputs into a symlink to stdout are written through it, not renamed over it
ln -s /proc/self/fd/1 stdout-link
sim --profile dfu11 --stats stdout-link -- true
status=$?
"$PYTHON" -c 'import json,sys; d=json.load(open("out.txt")); sys.exit(0 if d["profile"] == "dfu11" and d["runner"]["devices"] == 1 else 1)'
ok $(( status != 0 || $? != 0 )) "--stats into a symlink to stdout writes the JSON there" out.txt err.txt
[ -L stdout-link ]
ok $? "... and leaves the symlink a symlink"

# --count: serials count up, files are numbered, a fault for device 2 only
head -c 4096 /dev/urandom > fw.bin
sim --profile stm32f405 --count 2 --serial 0000000000FF --fault '2:rdp' \
  --flash-out flash.bin --stats stats.json -- \
  sh -c "$DFU_UTIL -S 0000000000FF -a 0 -s 0x08000000 -D fw.bin && ! $DFU_UTIL -S 000000000100 -a 0 -s 0x08000000 -D fw.bin"
ok $? "--count 2 with '2:rdp': device 1 flashes, device 2 refuses" out.txt err.txt
"$PYTHON" - <<'EOF'
import json, sys
stats = json.load(open("stats.json"))
sys.exit(0 if [d["serial"] for d in stats] == ["0000000000FF", "000000000100"]
         and [d["runner"]["device"] for d in stats] == [1, 2] else 1)
EOF
ok $? "--stats is an array, serials counted up in hex" stats.json
cmp -s -n 4096 fw.bin flash-1.bin && ! cmp -s -n 4096 fw.bin flash-2.bin && [ ! -e flash.bin ]
ok $? "--flash-out flash.bin writes flash-1.bin and flash-2.bin"

# --time-scale 0: no device or wire time at all
"$DEFUSE_SIM" --profile stm32f405 --time-scale 0 --stats stats.json -- "$DFU_UTIL" -a 0 -s 0x08000000 -D fw.bin > out.txt 2> err.txt
status=$?
"$PYTHON" -c 'import json,sys; d=json.load(open("stats.json")); sys.exit(0 if d["wire_us"] == 0 and d["busy_us"] == 0 else 1)'
ok $(( status != 0 || $? != 0 )) "--time-scale 0: a flash with no wire or busy time" stats.json err.txt

# a child that inherited the descriptor is answered from its own memory
sim --profile stm32f405 --stats stats.json -- "$PYTHON" "$HERE/fork-control.py"
ok $? "a forked child's ioctls read the child's memory, the parent's the parent's" out.txt err.txt

# read straight from the program (process_vm_readv) where the kernel
# allows it; through the preload a bad pointer would abort the program
direct=$("$PYTHON" -c 'import json; print(json.load(open("stats.json"))["runner"]["memory_direct"])')
if [ "${direct:-0}" -gt 0 ]; then
  sim --profile stm32f405 -- "$PYTHON" "$HERE/fork-control.py" --efault
  ok $? "a pointer to nowhere is EFAULT, and the program lives on" out.txt err.txt
else
  n=$((n + 1))
  echo "ok $n - a pointer to nowhere is EFAULT # SKIP the kernel refuses process_vm_readv here"
fi

echo "1..$n"
exit $failed
