/**
 * The test guest's /init (busybox sh). It loads the NIC drivers, reports
 * what it found as `NICEMU-...` lines on the serial console, brings up the
 * first interface (DHCP by default), prints `NICEMU-READY`, and then hands
 * the console to a shell:
 *   - `batch` (default): a non-interactive shell reading commands from the
 *     console, no prompt, no echo, kernel messages off: a host program sends
 *     a command line and waits for the marker it prints (see console.node.ts);
 *   - `interactive`: a login-less interactive shell (nicemu run --interactive);
 *   - `off`: power off.
 *
 * Kernel command line switches:
 *   nicemu.modules=a,b     load only these modules (and their deps); default all
 *   nicemu.net=dhcp|none|A/P   DHCP (default), nothing, or a static address
 *   nicemu.linkwait=N      seconds to wait for carrier (default 5)
 *   nicemu.shell=batch|interactive|off
 */
export const GUEST_INIT = `#!/bin/sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev 2>/dev/null
/bin/busybox --install -s
mkdir -p /dev/pts /tmp /var/run
up() { cut -d' ' -f1 /proc/uptime; }
echo "NICEMU-INIT uptime=$(up) kernel=$(uname -r)"

MODULES=""; NET=dhcp; LINKWAIT=5; SHELLMODE=batch
for w in $(cat /proc/cmdline); do
  case "$w" in
    nicemu.modules=*) MODULES="\${w#nicemu.modules=}" ;;
    nicemu.net=*) NET="\${w#nicemu.net=}" ;;
    nicemu.linkwait=*) LINKWAIT="\${w#nicemu.linkwait=}" ;;
    nicemu.shell=*) SHELLMODE="\${w#nicemu.shell=}" ;;
  esac
done

for f in $(cat /etc/modules-order); do
  n=$(echo "\${f%.ko}" | tr - _)
  if [ -n "$MODULES" ]; then
    case ",$(echo "$MODULES" | tr - _)," in *",$n,"*) ;; *) continue ;; esac
  fi
  if insmod "/lib/modules/$f" 2>/tmp/insmod.err; then echo "NICEMU-INSMOD $n ok"; else echo "NICEMU-INSMOD $n FAILED $(cat /tmp/insmod.err)"; fi
done

for d in /sys/bus/pci/devices/*; do
  drv=-
  [ -e "$d/driver" ] && drv=$(basename "$(readlink "$d/driver")")
  echo "NICEMU-PCI $(basename "$d") $(cat "$d/vendor"):$(cat "$d/device") rev=$(cat "$d/revision" 2>/dev/null) class=$(cat "$d/class") irq=$(cat "$d/irq") driver=$drv"
done

ip link set lo up
IF=""
for p in /sys/class/net/*; do
  n=$(basename "$p"); [ "$n" = lo ] && continue
  IF=$n; break
done
echo "$IF" > /tmp/iface

cat > /tmp/udhcpc.sh <<'EOF'
#!/bin/sh
case "$1" in
  deconfig) ip -4 addr flush dev "$interface"; ip link set "$interface" up ;;
  bound|renew)
    ip -4 addr flush dev "$interface"
    ip addr add "$ip/\${mask:-24}" dev "$interface"
    [ -n "$router" ] && ip route replace default via "$router" dev "$interface"
    : > /etc/resolv.conf
    for s in $dns; do echo "nameserver $s" >> /etc/resolv.conf; done
    echo "$router" > /tmp/router
    echo "NICEMU-LEASE $interface $1 ip=$ip mask=$mask router=$router dns=$dns host=$hostname domain=$domain search=$(echo $search | tr ' ' ,)" > /dev/console
    ;;
  leasefail|nak) echo "NICEMU-LEASE $interface $1" > /dev/console ;;
esac
exit 0
EOF
chmod +x /tmp/udhcpc.sh

if [ -n "$IF" ]; then
  ip link set "$IF" up
  t=0
  while [ "$(cat /sys/class/net/$IF/carrier 2>/dev/null)" != 1 ] && [ "$t" -lt "$((LINKWAIT * 10))" ]; do sleep 0.1; t=$((t + 1)); done
  echo "NICEMU-LINK $IF carrier=$(cat /sys/class/net/$IF/carrier 2>/dev/null) mac=$(cat /sys/class/net/$IF/address) operstate=$(cat /sys/class/net/$IF/operstate) uptime=$(up)"
  case "$NET" in
    none) ;;
    dhcp) udhcpc -i "$IF" -f -q -n -t 5 -T 2 -O search -s /tmp/udhcpc.sh >/tmp/udhcpc.log 2>&1 || echo "NICEMU-LEASE $IF failed: $(tail -n 2 /tmp/udhcpc.log | tr '\\n' ' ')" ;;
    *) ip addr add "$NET" dev "$IF" && echo "NICEMU-STATIC $IF $NET" ;;
  esac
else
  echo "NICEMU-LINK none"
fi
echo "NICEMU-READY uptime=$(up)"

case "$SHELLMODE" in
  interactive) exec setsid cttyhack sh -l ;;
  off) poweroff -f ;;
  *)
    dmesg -n 1
    stty -echo < /dev/console || echo "NICEMU-WARN stty failed"
    cd /tmp
    # Not an interactive shell: no prompt, no line editing; commands get no console input.
    # A syntax error in eval would end this shell (and init): check the line first.
    while IFS= read -r line; do
      if sh -n -c "$line" 2>/tmp/syntax.err; then eval "$line" < /dev/null; else echo "NICEMU-SYNTAX $(cat /tmp/syntax.err)"; fi
    done < /dev/console
    poweroff -f
    ;;
esac
`;
