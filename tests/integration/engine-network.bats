#!/usr/bin/env bats
# Networking of `staple run`: --network none|host|bridge and -p through the CNI plugins.
# Every test runs staple inside a network namespace of its own (pinned at
# /run/staple-test-netns-<id> and removed in teardown), so the bridge staple0, its
# addresses, routes and iptables rules exist only there: nothing of the host's network is
# touched, and every address contacted lives in a namespace the test made.

load engine-lib

setup_file() {
	make_rootfs_tar
}

setup() {
	engine_setup
	netns_setup
	import_image
}

strn() {
	stn run --cgroup-parent "$CGP" "$@"
}

# Nothing of a bridged container is left in the namespace: no veth, no pinned netns,
# no address still reserved, no DNAT rule for port $1 (when given).
assert_network_clean() {
	[[ -z $(inns ip -o link show type veth) ]] || { echo "veth left: $(inns ip -o link show type veth)" >&2; return 1; }
	[[ -z $(ls -A "$ROOT/netns" 2>/dev/null) ]] || { echo "netns pins left: $(ls "$ROOT/netns")" >&2; return 1; }
	[[ -z $(ls "$ROOT/cni/staple" 2>/dev/null | grep -v -e lock -e last_reserved) ]] ||
		{ echo "addresses still reserved: $(ls "$ROOT/cni/staple")" >&2; return 1; }
	[[ -z ${1:-} || -z $(inns iptables -t nat -S | grep -- "--dport $1") ]] ||
		{ echo "DNAT rules left for $1" >&2; return 1; }
}

@test "network: the default (none) gives loopback only" {
	run strn --rm "$IMG" sh -c 'ls /sys/class/net'
	assert_success
	assert_equal "$output" lo
}

@test "network: bridge gives eth0 on 10.89.0.0/24 with a default route; nothing left after" {
	run strn --rm --network bridge "$IMG" sh -c 'ip -o -4 addr show eth0; ip route'
	assert_success
	[[ $output =~ eth0\ +inet\ 10\.89\.0\.[0-9]+/24 ]] || { echo "$output" >&2; false; }
	assert_output_contains "default via 10.89.0.1"
	assert_network_clean
	run strn --rm --network bridge "$IMG" true # the address was given back: a second run works
	assert_success
	assert_network_clean
}

# A detached web server on the bridge: /www/index.html holds its name.
run_web() { # NAME [RUN FLAGS...]
	local name=$1
	shift
	run strn -d --name "$name" --network bridge "$@" "$IMG" \
		sh -c "mkdir -p /www; echo hello-$name >/www/index.html; exec httpd -f -p 80 -h /www"
	assert_success
}

@test "network: a bridged server is reached by its address, through -p, and from another container" {
	run_web web -p 18088:80
	local ip
	ip=$(stn inspect web | jq -r .NetworkSettings.IPAddress)
	[[ $ip == 10.89.0.* ]] || { echo "IPAddress '$ip'" >&2; false; }
	assert_equal "$(stn inspect web | jq -r '.NetworkSettings.Ports[0].host_port')" 18088
	retry 50 fetch "http://$ip/"
	assert_equal "$(fetch "http://$ip/")" hello-web
	assert_equal "$(fetch "http://10.89.0.1:18088/")" hello-web # DNAT of the portmap plugin
	# stats counts the bytes of eth0 (lo is left out)
	[ "$(stn stats --no-stream --format json web | jq '.[0].NetInput')" -gt 0 ]
	[ "$(stn stats --no-stream --format json web | jq '.[0].NetOutput')" -gt 0 ]
	run strn --rm --network bridge "$IMG" wget -q -O - "http://$ip/"
	assert_success
	assert_equal "$output" hello-web
	run stn rm -f web
	assert_success
	retry 30 assert_network_clean 18088
	! fetch "http://10.89.0.1:18088/" 2>/dev/null || false
}

@test "network: host shares the namespace staple runs in" {
	inns ip link add staple-tva type veth peer name staple-tvb
	run strn --rm --network host "$IMG" sh -c 'ls /sys/class/net'
	assert_success
	assert_output_contains staple-tva
}

@test "network: a restarted bridged container gets its network again" {
	run strn -d --name rs --network bridge --restart on-failure:1 "$IMG" sh -c 'ip -o -4 addr show eth0; exit 1'
	assert_success
	run stn wait rs
	assert_equal "$output" 1
	assert_equal "$(stn logs rs | grep -c 'inet 10.89.0.')" 2
	assert_network_clean
}

@test "network: bad --network and -p fail with 125 and leave nothing" {
	run strn --network bridges "$IMG" true
	assert_equal "$status" 125
	assert_output_contains "--network"
	run strn --network bridge -p 80 "$IMG" true
	assert_equal "$status" 125
	assert_output_contains "-p"
	run strn --network bridge -p 1.2.3:80:80 "$IMG" true
	assert_equal "$status" 125
	run strn --network bridge -p 70000:80 "$IMG" true
	assert_equal "$status" 125
	run strn -p 8080:80 "$IMG" true
	assert_equal "$status" 125
	assert_output_contains "needs --network bridge"
	run stn ps -aq
	assert_equal "$output" ""
	assert_network_clean
}

@test "network: /etc/hostname, /etc/hosts and /etc/resolv.conf come from the engine" {
	run strn --rm --hostname box1 "$IMG" sh -c 'cat /etc/hostname; cat /etc/hosts; cat /etc/resolv.conf'
	assert_success
	assert_equal "${lines[0]}" box1
	assert_output_contains "127.0.0.1	localhost"
	# the host's resolv.conf, as it is
	[[ $output == *"$(grep -m1 . /etc/resolv.conf)"* ]] || [[ ! -s /etc/resolv.conf ]]
	# on the bridge: the container's own address under its hostname, no loopback name server
	run strn --rm --network bridge --hostname web1 "$IMG" sh -c \
		'ip -o -4 addr show eth0 | sed "s|.*inet \([0-9.]*\)/.*|\1|"; cat /etc/hosts; cat /etc/resolv.conf'
	assert_success
	local ip=${lines[0]}
	[[ $ip == 10.89.0.* ]] || { echo "address '$ip'" >&2; false; }
	assert_output_contains "$ip	web1"
	! grep -qE '^nameserver +(127\.|::1)' <<<"$output" || false
	grep -q '^nameserver' <<<"$output"
	# writable even with --read-only, as docker leaves them; the rest of the rootfs is not
	run strn --rm --read-only "$IMG" sh -c 'echo "10.0.0.9 extra" >>/etc/hosts && ! touch /etc/other 2>/dev/null && echo ok'
	assert_success
	assert_equal "$output" ok
}
