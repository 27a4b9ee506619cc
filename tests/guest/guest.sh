# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/guest/guest.sh - shell helpers for test scripts in the QEMU guest
#
# /init sources this before running the test's script, so a script can say:
#
#	dhcp4 || exit 1
#	result addr "$(ip4_addr)"
#	result gw "$(ip -4 route show default | cut -d' ' -f3)"
#
# and the harness (QemuGuest.results()) sees {"addr": "...", "gw": "..."}.

export RESOLV_CONF=/etc/resolv.conf
export LEASE_FILE=/run/lease4

# result NAME VALUE...: one line the harness parses (NAME must be a word)
result() {
	name=$1
	shift
	echo "RESULT $name=$*"
}

# dhcp4 [udhcpc options]: get and apply a DHCPv4 lease on eth0
dhcp4() {
	udhcpc -i eth0 -f -q -n -t 5 -T 1 -O mtu -O search \
		-s /etc/udhcpc.script "$@" >/dev/null 2>&1
}

# lease NAME: one value from the last lease (see udhcpc.script)
lease() {
	sed -n "s/^$1=//p" "$LEASE_FILE" 2>/dev/null
}

# ip4_addr: eth0's IPv4 address with prefix, or nothing
ip4_addr() {
	ip -4 -o addr show dev eth0 | awk '{print $4; exit}'
}

# slaac6 [TIMEOUT_S]: wait for a global IPv6 address on eth0, print it
slaac6() {
	n=0
	while [ $n -lt $((${1:-10} * 10)) ]; do
		a=$(ip -6 -o addr show dev eth0 scope global 2>/dev/null |
		    grep -v tentative | awk '{print $4; exit}')
		if [ -n "$a" ]; then
			echo "$a"
			return 0
		fi
		usleep 100000
		n=$((n + 1))
	done
	return 1
}

# arp_mac ADDR: ask for ADDR by ARP (up to 3 requests, 1 s apart, stopping
# at the first reply); print the MAC that answered
arp_mac() {
	arping -f -c 3 -w 3 -I eth0 "$1" 2>/dev/null |
		sed -n 's/.*reply from [^[]*\[\([0-9a-fA-F:]*\)\].*/\1/p' |
		head -n 1 | tr A-F a-f
}

# neigh_mac ADDR: the MAC address eth0 has resolved ADDR to, if any
neigh_mac() {
	ip neigh show "$1" dev eth0 | awk '/lladdr/ {print $3; exit}'
}

# http_get HOST PORT [PATH]: HTTP/1.0 GET over busybox nc; print the body.
# (busybox-static's wget crashes in this initramfs: use this instead.)
http_get() {
	printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "${3:-/}" "$1" |
		timeout 10 nc -w 5 "$1" "$2" | sed '1,/^\r*$/d'
}
