# Shared helpers of tests/integration/clients-*.bats: real clients (podman,
# containerd's ctr and runc v2 shim, the CRI plugin) driving staple-oci, and
# the same scenarios with crun for comparison.
#
# Every test of these files names its runtime: "staple" ($STAPLE_OCI) or
# "crun" (tests/clients/crun-v1: crun in a mount namespace without the hybrid
# host's cgroup2 mount, because crun refuses hybrid cgroups).
# Cgroups of these tests live under /staple-test-clients/<test id>.

REPO=${REPO:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
STAPLE_OCI=${STAPLE_OCI:-$REPO/build/staple-oci}
STAPLE_TEST_ROOTFS=${STAPLE_TEST_ROOTFS:-$REPO/build/rootfs}
CLIENTS=$REPO/tests/clients
PY=/usr/bin/python3 # Debian's python: python3-grpcio lives there, not in a pyenv
CG_TOP=staple-test-clients

# runtime_path NAME: the binary a client is given for runtime NAME.
runtime_path() {
	case $1 in
	staple) echo "$STAPLE_OCI" ;;
	crun) echo "$CLIENTS/crun-v1" ;;
	*) return 1 ;;
	esac
}

# use_runtime NAME: set $RT (binary) and $RT_NAME, or skip with the reason.
use_runtime() {
	RT_NAME=$1
	RT=$(runtime_path "$1")
	if [[ $1 == crun ]] && ! command -v crun >/dev/null; then
		skip "crun is not installed"
	fi
	[[ -x $RT ]] || skip "no runtime binary $RT (build it, or set STAPLE_OCI)"
	return 0
}

# runtime_has COMMAND: the runtime implements COMMAND (a runtime that lacks it
# says "unknown command" or "not yet").
runtime_has() {
	local out
	[[ $RT_NAME == crun ]] && return 0
	out=$("$STAPLE_OCI" "$1" --help 2>&1)
	! grep -qiE 'unknown command|not yet|not supported|not implemented' <<<"$out"
}

# need_command COMMAND: skip naming the command when the runtime lacks it.
need_command() {
	runtime_has "$1" || skip "staple-oci $1 is not implemented yet"
}

need_tools() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null || skip "$t is not installed"
	done
}

ensure_rootfs() {
	if [[ ! -x $STAPLE_TEST_ROOTFS/bin/staple-test-helper ]]; then
		"$REPO/tests/rootfs.sh" "$STAPLE_TEST_ROOTFS" >&2 || return 1
	fi
}

# Cgroup dirs under /staple-test-clients/$1 in every hierarchy, deepest first.
client_cgroups() {
	local d
	for d in /sys/fs/cgroup/$CG_TOP/"$1" /sys/fs/cgroup/*/$CG_TOP/"$1"; do
		[[ -d $d ]] && find "$d" -depth -type d
	done
	return 0
}

# remove_cgroups LEAF: kill what is left in them, thaw, and rmdir (deepest first).
remove_cgroups() {
	local d p
	for d in $(client_cgroups "$1"); do
		[[ -f $d/freezer.state ]] && echo THAWED >"$d/freezer.state" 2>/dev/null
		[[ -f $d/cgroup.procs ]] && for p in $(cat "$d/cgroup.procs" 2>/dev/null); do
			kill -9 "$p" 2>/dev/null
		done
	done
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		for d in $(client_cgroups "$1"); do rmdir "$d" 2>/dev/null; done
		[[ -z $(client_cgroups "$1") ]] && break
		sleep 0.2
	done
	rmdir /sys/fs/cgroup/$CG_TOP /sys/fs/cgroup/*/$CG_TOP 2>/dev/null
	[[ -z $(client_cgroups "$1") ]]
}

# Mount points under $1, deepest first.
mounts_under() {
	awk -v t="$1" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r
}

# unmount_under DIR: unmount everything below DIR; fail if something stays.
unmount_under() {
	local m i
	for i in 1 2 3; do
		for m in $(mounts_under "$1"); do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
		[[ -z $(mounts_under "$1") ]] && return 0
		sleep 0.2
	done
	echo "mounts left under $1: $(mounts_under "$1" | tr '\n' ' ')" >&2
	return 1
}

# Processes whose command line mentions $1 (our temp dir): the shims and
# monitors our own clients started.  Prints their PIDs.
pids_mentioning() {
	local p a
	for p in /proc/[0-9]*; do
		[[ ${p#/proc/} == "$$" || ${p#/proc/} == "$BASHPID" ]] && continue
		{ mapfile -d '' -t a <"$p/cmdline"; } 2>/dev/null || continue
		[[ "${a[*]}" == *"$1"* ]] && echo "${p#/proc/}"
	done
	return 0
}

# A test image from the test rootfs: a tarball for `podman import`.
rootfs_tar() {
	tar -C "$STAPLE_TEST_ROOTFS" -c .
}

# Assertions shared with the rest of the suite.
source "$BATS_TEST_DIRNAME/assert.bash"

# retry TRIES CMD...: run CMD until it succeeds, 0.2 s apart.
retry() {
	local n=$1
	shift
	while ! "$@"; do
		((--n > 0)) || return 1
		sleep 0.2
	done
}

# --- images for containerd ------------------------------------------------------

# make_oci_archive DIR: $DIR/staple-test.tar (the test rootfs as
# localhost/staple-test:latest) and $DIR/staple-pause.tar (a static pause
# binary as localhost/staple-pause:latest), both OCI archives made by podman
# with a throwaway storage under DIR.
make_oci_archives() {
	local d=$1 rc=0
	mkdir -p "$d/pause-rootfs" "$d/ptmp"
	cat >"$d/pause.c" <<-'C'
		#include <signal.h>
		#include <unistd.h>
		static void done(int sig) { (void)sig; _exit(0); }
		int main(void)
		{
			signal(SIGTERM, done);
			signal(SIGINT, done);
			for (;;)
				pause();
		}
	C
	gcc -static -O2 -o "$d/pause-rootfs/pause" "$d/pause.c" || return 1
	printf '[storage]\ndriver = "overlay"\ngraphroot = "%s"\nrunroot = "%s"\n' \
		"$d/pgraph" "$d/prun" >"$d/pstorage.conf"
	printf '[engine]\nevents_logger = "file"\nevents_logfile_path = "%s"\ncgroup_manager = "cgroupfs"\n' \
		"$d/pevents.log" >"$d/pcontainers.conf"
	local P=(env CONTAINERS_STORAGE_CONF="$d/pstorage.conf" CONTAINERS_CONF="$d/pcontainers.conf"
		TMPDIR="$d/ptmp" podman --root "$d/pgraph" --runroot "$d/prun")
	{
		rootfs_tar | "${P[@]}" import - localhost/staple-test:latest &&
			tar -C "$d/pause-rootfs" -c . |
			"${P[@]}" import --change 'ENTRYPOINT ["/pause"]' - localhost/staple-pause:latest &&
			"${P[@]}" save --format oci-archive -o "$d/staple-test.tar" localhost/staple-test:latest &&
			"${P[@]}" save --format oci-archive -o "$d/staple-pause.tar" localhost/staple-pause:latest
	} >"$d/podman.log" 2>&1 || rc=1
	"${P[@]}" system reset -f >/dev/null 2>&1
	unmount_under "$d/pgraph" || rc=1
	rm -rf "$d/pgraph" "$d/prun" "$d/ptmp" "$d/pause-rootfs"
	return $rc
}

# --- containerd -------------------------------------------------------------------

# containerd_start DIR CRI(0|1) [RUNTIME_BINARY]: write $DIR/config.toml (root,
# state, sockets and the opt dir under DIR) and start containerd in the
# background; sets CTRD_PID and CTRD_SOCK and waits for the socket.  With CRI=1
# the CRI plugin is on: host-network pods only, no CNI, the runc v2 runtime
# with BinaryName = RUNTIME_BINARY, restrict_oom_score_adj (no CAP_SYS_RESOURCE).
containerd_start() {
	local d=$1 cri=$2 bin=${3:-}
	CTRD_SOCK=$d/containerd.sock
	mkdir -p "$d/root" "$d/state" "$d/opt" "$d/cni-bin" "$d/cni-conf"
	{
		echo 'version = 2'
		echo "root = \"$d/root\""
		echo "state = \"$d/state\""
		((cri)) || echo 'disabled_plugins = ["io.containerd.grpc.v1.cri"]'
		echo "[grpc]"
		echo "  address = \"$CTRD_SOCK\""
		echo "[ttrpc]"
		echo "  address = \"$d/containerd.sock.ttrpc\""
		echo "[debug]"
		echo "  level = \"info\""
		echo "[plugins.\"io.containerd.internal.v1.opt\"]"
		echo "  path = \"$d/opt\""
		if ((cri)); then
			cat <<-TOML
				[plugins."io.containerd.grpc.v1.cri"]
				  sandbox_image = "localhost/staple-pause:latest"
				  restrict_oom_score_adj = true
				  disable_apparmor = true
				  enable_selinux = false
				  stream_server_address = "127.0.0.1"
				  stream_server_port = "0"
				  [plugins."io.containerd.grpc.v1.cri".cni]
				    bin_dir = "$d/cni-bin"
				    conf_dir = "$d/cni-conf"
				  [plugins."io.containerd.grpc.v1.cri".containerd]
				    default_runtime_name = "runc"
				    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
				      runtime_type = "io.containerd.runc.v2"
				      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
				        BinaryName = "$bin"
				        Root = "$d/runc-root"
				        SystemdCgroup = false
			TOML
		fi
	} >"$d/config.toml"
	containerd --config "$d/config.toml" >"$d/containerd.log" 2>&1 &
	CTRD_PID=$!
	local i
	for i in $(seq 100); do
		[[ -S $CTRD_SOCK ]] && ctr --address "$CTRD_SOCK" version >/dev/null 2>&1 && return 0
		kill -0 "$CTRD_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "containerd did not start; its log:" >&2
	tail -20 "$d/containerd.log" >&2
	return 1
}

# shim_socket_of PID: if PID is a runc v2 shim, forget its socket (a killed
# shim leaves /run/containerd/s/HEX, HEX = sha256 of ADDRESS/NAMESPACE/ID).
shim_socket_of() {
	local -a a
	{ mapfile -d "" -t a <"/proc/$1/cmdline"; } 2>/dev/null || return 0
	[[ ${a[0]:-} == *containerd-shim* ]] || return 0
	local i ns="" id="" addr=""
	for ((i = 1; i < ${#a[@]} - 1; i++)); do
		case ${a[i]} in
		-namespace) ns=${a[i + 1]} ;;
		-id) id=${a[i + 1]} ;;
		-address) addr=${a[i + 1]} ;;
		esac
	done
	[[ -n $ns && -n $id && -n $addr ]] || return 0
	local hex
	hex=$(printf '%s' "$addr/$ns/$id" | sha256sum | cut -d' ' -f1)
	SHIM_SOCKETS+=("/run/containerd/s/$hex")
}

# containerd_stop DIR: stop containerd (by its PID), then the shims it left
# (processes naming DIR), unmount everything under DIR.
containerd_stop() {
	local d=$1 p
	SHIM_SOCKETS=()
	if [[ -n ${CTRD_PID:-} ]]; then
		kill "$CTRD_PID" 2>/dev/null
		wait "$CTRD_PID" 2>/dev/null
	fi
	for p in $(pids_mentioning "$d"); do
		shim_socket_of "$p"
		kill -9 "$p" 2>/dev/null
	done
	sleep 0.2
	rm -f "${SHIM_SOCKETS[@]}"
	# containerd 1.6 keeps shim sockets and fifos under /run/containerd
	# whatever its config says: remove those dirs when they are empty.
	rmdir /run/containerd/runc/* /run/containerd/runc /run/containerd/fifo \
		/run/containerd/s /run/containerd 2>/dev/null
	unmount_under "$d"
}
