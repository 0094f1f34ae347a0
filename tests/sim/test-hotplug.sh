#!/bin/bash
# libusb hotplug callbacks (hotplug-watch) see virtual devices arrive and
# leave: a device leaving DFU mode and coming back as its application with
# a new device number, a tray of --count devices each flashed and leaving
# in turn, a board plugged in on request (--plug-later), and a board whose
# cable is pulled and plugged back in (--control with simctl.py; the
# "unplug" fault and SIGUSR1).  Both ioctl transports.  TAP output.
set -u
: "${DEFUSE_SIM:?}" "${HOTPLUG_WATCH:?}"
SCALE=${DEFUSE_SIM_TEST_SCALE:-0.01}
DFU_UTIL=$(command -v dfu-util) || { echo "1..0 # SKIP dfu-util is not installed"; exit 0; }
PYTHON=$(command -v python3)
HERE=$(cd "$(dirname "$0")" && pwd)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
failed=0

ok () {  # ok STATUS NAME [FILE...]: FILEs are shown on failure
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
      sed 's/^/# /' "$f" 2>/dev/null | tail -40
    done
  fi
}

head -c 6000 /dev/urandom > "$tmp/fw.bin"

# The program run under defuse-sim: the watcher in the background, then
# dfu-util leaves on each serial given.  The watcher exits once it has
# seen what is expected (or after 60 s, failing the test).
cat > "$tmp/run.sh" <<EOF
#!/bin/sh
cd "$tmp"
"$HOTPLUG_WATCH" --arrived "\$1" --left "\$2" --timeout 60 > watch.out 2> watch.err &
watch=\$!
shift 2
i=0
until grep -q '^ready\$' watch.out; do
  i=\$((i + 1)); [ \$i -gt 500 ] && exit 3; sleep 0.02
done
for serial in "\$@"; do
  "$DFU_UTIL" -S "\$serial" -a 0 -s 0x08000000:leave -D fw.bin > dfu-util-\$serial.log 2>&1 || exit 4
done
wait \$watch
EOF
chmod +x "$tmp/run.sh"

single () {  # single TRANSPORT
  local transport=$1
  rm -f "$tmp"/watch.* "$tmp"/flash*.bin
  "$DEFUSE_SIM" --ioctl "$transport" --profile stm32f405 --time-scale "$SCALE" \
    --flash-out "$tmp/flash.bin" --log "$tmp/sim.log" -- \
    "$tmp/run.sh" 2 1 3276365C3235 > "$tmp/sim.out" 2>&1
  ok $? "$transport: dfu-util leaves, the watcher saw the events" "$tmp/sim.out" "$tmp/watch.out" "$tmp/watch.err" "$tmp/sim.log"

  # before "ready": the bootloader as found; after: it leaves, and the
  # application arrives under a new device number
  sed -n '/^ready$/,$p' "$tmp/watch.out" | tail -n +2 > "$tmp/after"
  printf 'left 0483:df11 bus 001 device 002\narrived f055:9800 bus 001 device 003\n' > "$tmp/want"
  head -1 "$tmp/watch.out" | grep -qx 'arrived 0483:df11 bus 001 device 002' && cmp -s "$tmp/after" "$tmp/want"
  ok $? "$transport: arrived 0483:df11 as 002, left, arrived f055:9800 as 003" "$tmp/watch.out"

  cmp -s -n 6000 "$tmp/fw.bin" "$tmp/flash.bin"
  ok $? "$transport: the firmware is in the flash"
}

tray () {
  local serials="3276365C3235 3276365C3236 3276365C3237"
  rm -f "$tmp"/watch.* "$tmp"/flash*.bin
  # shellcheck disable=SC2086
  "$DEFUSE_SIM" --profile stm32f405 --count 3 --time-scale "$SCALE" \
    --flash-out "$tmp/flash.bin" --log "$tmp/sim.log" -- \
    "$tmp/run.sh" 6 3 $serials > "$tmp/sim.out" 2>&1
  ok $? "--count 3: each device flashed and left, the watcher saw the events" "$tmp/sim.out" "$tmp/watch.out" "$tmp/watch.err" "$tmp/sim.log"

  sed -n '1,/^ready$/p' "$tmp/watch.out" | grep -c '^arrived 0483:df11 bus 001 device 00[234]$' > "$tmp/count"
  [ "$(cat "$tmp/count")" = 3 ]
  ok $? "--count 3: three bootloaders present at the start (devices 002, 003, 004)" "$tmp/watch.out"

  sed -n '/^ready$/,$p' "$tmp/watch.out" > "$tmp/after"
  [ "$(grep -c '^left 0483:df11 ' "$tmp/after")" = 3 ] &&
    [ "$(grep -c '^arrived f055:9800 bus 001 device 00[567]$' "$tmp/after")" = 3 ]
  ok $? "--count 3: three bootloaders left, three applications arrived as 005..007" "$tmp/watch.out"

  local all=0
  for i in 1 2 3; do
    cmp -s -n 6000 "$tmp/fw.bin" "$tmp/flash-$i.bin" || all=1
  done
  ok $all "--count 3: flash-1.bin .. flash-3.bin each hold the firmware"
}

# --plug-later: a board plugged in while the program runs, when it asks
plug_later () {
  rm -f "$tmp"/watch.*
  cat > "$tmp/plug.sh" <<EOF
#!/bin/sh
cd "$tmp"
"$HOTPLUG_WATCH" --arrived 2 --left 0 --timeout 60 > watch.out 2> watch.err &
watch=\$!
i=0
until grep -q '^ready\$' watch.out; do
  i=\$((i + 1)); [ \$i -gt 500 ] && exit 3; sleep 0.02
done
kill -USR1 \$PPID
wait \$watch
EOF
  chmod +x "$tmp/plug.sh"
  "$DEFUSE_SIM" --profile stm32f405 --count 2 --plug-later 1 --time-scale "$SCALE" \
    --log "$tmp/sim.log" -- "$tmp/plug.sh" > "$tmp/sim.out" 2>&1
  ok $? "--plug-later 1: SIGUSR1 plugs in the second board, the watcher saw it" "$tmp/sim.out" "$tmp/watch.out" "$tmp/watch.err" "$tmp/sim.log"

  printf 'arrived 0483:df11 bus 001 device 002\nready\narrived 0483:df11 bus 001 device 003\n' > "$tmp/want"
  cmp -s "$tmp/watch.out" "$tmp/want"
  ok $? "--plug-later 1: one board at the start, the second (003) only after the signal" "$tmp/watch.out"
}

# --control: unplug and plug back in; the board returns on its port (1-1)
# with a new device number, in DFU mode
replug () {
  rm -f "$tmp"/watch.* "$tmp"/ctl.out
  cat > "$tmp/replug.sh" <<EOF
#!/bin/sh
cd "$tmp"
"$HOTPLUG_WATCH" --arrived 2 --left 1 --timeout 60 > watch.out 2> watch.err &
watch=\$!
i=0
until grep -q '^ready\$' watch.out; do
  i=\$((i + 1)); [ \$i -gt 500 ] && exit 3; sleep 0.02
done
"$PYTHON" "$HERE/simctl.py" unplug 1 > ctl.out || exit 4
[ -e /sys/bus/usb/devices/1-1 ] && exit 5
"$PYTHON" "$HERE/simctl.py" plug 1 >> ctl.out || exit 6
cat /sys/bus/usb/devices/1-1/devnum >> ctl.out
wait \$watch
EOF
  chmod +x "$tmp/replug.sh"
  timeout 60 "$DEFUSE_SIM" --profile stm32f405 --time-scale "$SCALE" --control "$tmp/control" \
    --log "$tmp/sim.log" -- "$tmp/replug.sh" > "$tmp/sim.out" 2>&1 < /dev/null
  ok $? "--control: unplug 1 and plug 1, the watcher saw it leave and return" "$tmp/sim.out" "$tmp/watch.out" "$tmp/sim.log"

  printf 'arrived 0483:df11 bus 001 device 002\nready\nleft 0483:df11 bus 001 device 002\narrived 0483:df11 bus 001 device 003\n' > "$tmp/want"
  cmp -s "$tmp/watch.out" "$tmp/want" && [ "$(tr '\n' ' ' < "$tmp/ctl.out")" = "/dev/bus/usb/001/003 3 " ]
  ok $? "--control: back on port 1-1 as device 003 (the answer names its node)" "$tmp/watch.out" "$tmp/ctl.out"

  # an unplug fault leaves it unplugged until SIGUSR1 plugs it back in
  cat > "$tmp/signal.sh" <<EOF
#!/bin/sh
"$DFU_UTIL" -l > /dev/null 2>&1
# the runner takes the device off the bus in its own thread: wait for it
i=0
while [ -e /sys/bus/usb/devices/1-1 ]; do
  i=\$((i + 1)); [ \$i -gt 500 ] && exit 3; sleep 0.01
done
kill -USR1 \$PPID
i=0
until [ -e /sys/bus/usb/devices/1-1 ]; do
  i=\$((i + 1)); [ \$i -gt 500 ] && exit 4; sleep 0.01
done
EOF
  chmod +x "$tmp/signal.sh"
  timeout 60 "$DEFUSE_SIM" --profile stm32f405 --time-scale "$SCALE" --fault unplug@request=1 \
    --log "$tmp/sim.log" -- "$tmp/signal.sh" > "$tmp/sim.out" 2>&1 < /dev/null
  ok $? "unplug@request=1: off the bus until SIGUSR1 plugs it back in" "$tmp/sim.out" "$tmp/sim.log"
}

single socket
single umockdev
tray
plug_later
replug

echo "1..$n"
exit $failed
