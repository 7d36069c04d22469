#!/usr/bin/python3
"""cri.py: a tiny CRI (runtime.v1) client, because Debian 12 has no crictl.

usage: cri.py [--timeout S] ENDPOINT COMMAND ARGS...
  version                        print runtime name and version
  runp POD.json                  run a pod sandbox; print its id
  stopp ID | rmp ID              stop / remove a pod sandbox
  inspectp ID                    print {"id", "state"} of a pod sandbox
  create POD_ID CTR.json POD.json  create a container; print its id
  start ID | rm ID               start / remove a container
  stop ID [TIMEOUT]              stop a container (grace period in seconds)
  inspect ID                     print {"state", "exit_code", "reason", "log_path", ...}
  exec ID CMD...                 ExecSync: print stdout (stderr to stderr), exit with its code
POD.json and CTR.json are a PodSandboxConfig and a ContainerConfig in the
protobuf JSON mapping.  ENDPOINT is a unix socket path.  The messages come
from cri.proto (compiled with protoc into $CRI_PB_DIR, default a temp dir).
A gRPC error exits 1 with "cri.py: METHOD: CODE: DETAILS" on stderr."""
import atexit, json, os, shutil, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def load_pb():
    out = os.environ.get("CRI_PB_DIR")
    if not out:  # a private dir, removed at exit (the module stays loaded)
        out = tempfile.mkdtemp(prefix="staple-cri-pb.")
        atexit.register(shutil.rmtree, out, True)
    if not os.path.exists(os.path.join(out, "cri_pb2.py")):
        subprocess.run(["protoc", "-I", HERE, "--python_out", out,
                        os.path.join(HERE, "cri.proto")], check=True)
    sys.path.insert(0, out)
    import cri_pb2
    return cri_pb2


def main(argv):
    import grpc
    from google.protobuf import json_format
    pb = load_pb()
    timeout = 60.0
    if argv[:1] == ["--timeout"]:
        timeout, argv = float(argv[1]), argv[2:]
    if len(argv) < 2:
        sys.exit(__doc__)
    endpoint, cmd, args = argv[0], argv[1], argv[2:]
    chan = grpc.insecure_channel("unix://" + endpoint)

    def call(method, req, resp_type=pb.Empty):
        rpc = chan.unary_unary("/runtime.v1.RuntimeService/" + method,
                               request_serializer=req.SerializeToString,
                               response_deserializer=resp_type.FromString)
        try:
            return rpc(req, timeout=timeout)
        except grpc.RpcError as e:
            print(f"cri.py: {method}: {e.code().name}: {e.details()}", file=sys.stderr)
            sys.exit(1)

    def from_file(path, msg_type):
        with open(path) as f:
            return json_format.ParseDict(json.load(f), msg_type())

    def show(msg):
        print(json.dumps(json_format.MessageToDict(
            msg, preserving_proto_field_name=True, use_integers_for_enums=False)))

    if cmd == "version":
        r = call("Version", pb.VersionRequest(version="v1"), pb.VersionResponse)
        print(r.runtime_name, r.runtime_version, r.runtime_api_version)
    elif cmd == "runp":
        r = call("RunPodSandbox", pb.RunPodSandboxRequest(
            config=from_file(args[0], pb.PodSandboxConfig)), pb.RunPodSandboxResponse)
        print(r.pod_sandbox_id)
    elif cmd in ("stopp", "rmp"):
        call({"stopp": "StopPodSandbox", "rmp": "RemovePodSandbox"}[cmd],
             pb.PodSandboxIdRequest(pod_sandbox_id=args[0]))
    elif cmd == "inspectp":
        r = call("PodSandboxStatus", pb.PodSandboxIdRequest(pod_sandbox_id=args[0]),
                 pb.PodSandboxStatusResponse)
        show(r.status)
    elif cmd == "create":
        r = call("CreateContainer", pb.CreateContainerRequest(
            pod_sandbox_id=args[0], config=from_file(args[1], pb.ContainerConfig),
            sandbox_config=from_file(args[2], pb.PodSandboxConfig)), pb.CreateContainerResponse)
        print(r.container_id)
    elif cmd in ("start", "rm"):
        call({"start": "StartContainer", "rm": "RemoveContainer"}[cmd],
             pb.ContainerIdRequest(container_id=args[0]))
    elif cmd == "stop":
        call("StopContainer", pb.StopContainerRequest(
            container_id=args[0], timeout=int(args[1]) if len(args) > 1 else 10))
    elif cmd == "inspect":
        r = call("ContainerStatus", pb.ContainerIdRequest(container_id=args[0]),
                 pb.ContainerStatusResponse)
        d = json_format.MessageToDict(r.status, preserving_proto_field_name=True,
                                      including_default_value_fields=True)
        print(json.dumps(d))
    elif cmd == "exec":
        r = call("ExecSync", pb.ExecSyncRequest(container_id=args[0], cmd=args[1:],
                                                timeout=int(timeout)), pb.ExecSyncResponse)
        sys.stdout.buffer.write(r.stdout)
        sys.stderr.buffer.write(r.stderr)
        sys.exit(r.exit_code)
    else:
        sys.exit(f"cri.py: unknown command {cmd}\n{__doc__}")


main(sys.argv[1:])
