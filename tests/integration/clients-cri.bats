#!/usr/bin/env bats
# Kubernetes' path: containerd 1.6's CRI plugin with the runtime as the runc
# v2 shim's BinaryName, driven over the CRI gRPC API (runtime.v1) by
# tests/clients/cri.py, since Debian 12 has no crictl.  Each test starts its
# own containerd (root, state, sockets, runtime root under a temp dir); the pod
# uses the host network (no CNI) and the cgroup parent
# /staple-test-clients/<leaf>; the sandbox image is a static pause binary.

load ../clients/lib

setup() {
	need_tools containerd ctr protoc gcc
	"$PY" -c 'import grpc, google.protobuf' 2>/dev/null ||
		skip "$PY lacks grpc or protobuf (python3-grpcio, python3-protobuf)"
	ensure_rootfs
	CT_DIR=$(mktemp -d /tmp/staple-test-cri.XXXXXX)
	CG_LEAF=cri-$$-$BATS_TEST_NUMBER
	export CRI_PB_DIR=$CT_DIR/pb
	mkdir -p "$CRI_PB_DIR" "$CT_DIR/logs"
}

teardown() {
	[[ -n ${CT_DIR:-} && -d $CT_DIR ]] || return 0
	local rc=0
	if [[ -n ${CTRD_SOCK:-} && -S $CTRD_SOCK ]]; then
		[[ -n ${POD:-} ]] && { cri stopp "$POD"; cri rmp "$POD"; } >/dev/null 2>&1
	fi
	containerd_stop "$CT_DIR" || rc=1
	remove_cgroups "$CG_LEAF" || {
		echo "cgroups left: $(client_cgroups "$CG_LEAF")" >&2
		rc=1
	}
	rm -rf "$CT_DIR"
	return $rc
}

cri() {
	timeout -k 5 90 "$PY" "$CLIENTS/cri.py" "$CTRD_SOCK" "$@"
}

# start_cri RUNTIME: containerd with the CRI plugin for RUNTIME, images imported.
start_cri() {
	use_runtime "$1"
	make_oci_archives "$CT_DIR" || return 1
	containerd_start "$CT_DIR" 1 "$RT" || return 1
	local a
	for a in staple-test staple-pause; do
		ctr --address "$CTRD_SOCK" -n k8s.io images import "$CT_DIR/$a.tar" >/dev/null || return 1
	done
	cat >"$CT_DIR/pod.json" <<-JSON
		{"metadata": {"name": "p1", "uid": "uid-$CG_LEAF", "namespace": "staple-test"},
		 "log_directory": "$CT_DIR/logs",
		 "linux": {"cgroup_parent": "/$CG_TOP/$CG_LEAF",
		           "security_context": {"namespace_options": {"network": "NODE"}}}}
	JSON
	cat >"$CT_DIR/ctr.json" <<-'JSON'
		{"metadata": {"name": "c1"}, "image": {"image": "localhost/staple-test:latest"},
		 "command": ["sh", "-c", "trap 'echo bye; exit 0' TERM; echo hello-cri; echo oops >&2; while :; do sleep 0.1; done"],
		 "envs": [{"key": "GREETING", "value": "hi-env"}],
		 "log_path": "c1.log"}
	JSON
}

ctr_field() { # CONTAINER FIELD
	cri inspect "$1" | jq -r ".$2"
}

# pod_lifecycle RUNTIME: pod and container started, logged, exec'd into,
# stopped and removed, with the container's cgroup under the pod's parent.
pod_lifecycle() {
	start_cri "$1"
	run cri version
	assert_success
	assert_output_contains containerd
	run cri runp "$CT_DIR/pod.json"
	assert_success
	POD=$output
	assert_equal "$(cri inspectp "$POD" | jq -r '.state // "SANDBOX_READY"')" SANDBOX_READY
	run cri create "$POD" "$CT_DIR/ctr.json" "$CT_DIR/pod.json"
	assert_success
	local c=$output
	run cri start "$c"
	assert_success
	assert_equal "$(ctr_field "$c" state)" CONTAINER_RUNNING
	retry 25 grep -q 'stdout F hello-cri' "$CT_DIR/logs/c1.log" # after the trap is set
	grep -q 'stderr F oops' "$CT_DIR/logs/c1.log"
	# the container's cgroup is under the pod's parent
	[[ -n $(client_cgroups "$CG_LEAF" | grep -F "$c") ]]
	if runtime_has exec; then
		run cri exec "$c" sh -c 'echo $GREETING; exit 3'
		assert_equal "$status" 3
		assert_equal "$output" hi-env
	fi
	run cri stop "$c" 10
	assert_success
	assert_equal "$(ctr_field "$c" state)" CONTAINER_EXITED
	assert_equal "$(ctr_field "$c" exit_code)" 0
	grep -q 'stdout F bye' "$CT_DIR/logs/c1.log"
	run cri rm "$c"
	assert_success
	run cri stopp "$POD"
	assert_success
	run cri rmp "$POD"
	assert_success
	POD=
}

@test "cri staple: pod sandbox and container: run, log, exec, stop, remove" { pod_lifecycle staple; }
@test "cri crun: pod sandbox and container: run, log, exec, stop, remove" { pod_lifecycle crun; }
