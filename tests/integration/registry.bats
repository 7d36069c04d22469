#!/usr/bin/env bats
# `staple pull` and `staple push` against Debian's docker-registry, started here on
# 127.0.0.1:<free port> with its storage in this file's temp dir, filled with skopeo,
# and stopped by PID in teardown_file. Nothing but 127.0.0.1 is contacted.
#
# Environment: STAPLE (default $REPO/build/staple), STAPLE_TEST_ROOTFS (the busybox
# rootfs of tests/rootfs.sh, built on demand).

load engine-lib

# make_archive DIR ROOTFS_TAR OUT: a one-layer docker-archive (what docker save writes).
make_archive() {
	local dir=$1 h
	mkdir -p "$dir"
	cp "$2" "$dir/layer.tar"
	h=$(sha256sum "$dir/layer.tar" | cut -d' ' -f1)
	cat >"$dir/config.json" <<-EOF
		{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:$h"]}}
	EOF
	echo '[{"Config":"config.json","RepoTags":["busybox:latest"],"Layers":["layer.tar"]}]' >"$dir/manifest.json"
	tar -C "$dir" -cf "$3" manifest.json config.json layer.tar
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# A front for the registry, in one of three modes:
#   bearer  /v2/ wants a bearer token; /token hands one out to tester:secret (basic auth)
#           and logs each scope it was asked for (as Docker Hub does it)
#   basic   /v2/ wants basic auth (tester:secret), as docker-registry's htpasswd does
#   flaky   no auth; the first GET of each blob is cut off halfway, Range requests work
write_front() {
	cat >"$1" <<-'EOF'
		import base64, http.client, http.server, re, sys, urllib.parse
		port, upstream, log, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
		GOOD = "Basic " + base64.b64encode(b"tester:secret").decode()
		cut = set()
		class H(http.server.BaseHTTPRequestHandler):
		    protocol_version = "HTTP/1.1"
		    def log_message(self, *a): pass
		    def reply(self, code, body=b"", headers=(), length=None):
		        self.send_response(code)
		        for k, v in headers: self.send_header(k, v)
		        self.send_header("Content-Length", str(len(body) if length is None else length))
		        self.end_headers()
		        if self.command != "HEAD": self.wfile.write(body)
		    def token(self):
		        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
		        if self.headers.get("Authorization") != GOOD:
		            return self.reply(401, b"{}")
		        scope = q.get("scope", [""])[0]
		        open(log, "a").write(scope + "\n")
		        self.reply(200, ('{"token": "tok %s"}' % scope).encode())
		    def denied(self, scope):
		        auth = self.headers.get("Authorization", "")
		        if mode == "basic":
		            return None if auth == GOOD else 'Basic realm="test"'
		        if mode == "bearer" and not (auth.startswith("Bearer tok ") and scope.split(":")[-1] in auth):
		            return 'Bearer realm="http://127.0.0.1:%d/token",service="test",scope="%s"' % (port, scope)
		        return None
		    def handle_any(self):
		        if self.path.startswith("/token"): return self.token()
		        n = int(self.headers.get("Content-Length") or 0)
		        body = self.rfile.read(n) if n else b""
		        m = re.match(r"^/v2/(.+?)/(manifests|blobs|tags)/", self.path)
		        action = "pull" if self.command in ("GET", "HEAD") else "pull,push"
		        ch = self.denied("repository:%s:%s" % (m.group(1) if m else "", action))
		        if ch:
		            return self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}',
		                              [("WWW-Authenticate", ch), ("Content-Type", "application/json")])
		        c = http.client.HTTPConnection(upstream)
		        hdrs = {k: v for k, v in self.headers.items() if k.lower() in ("accept", "content-type", "content-length")}
		        c.request(self.command, self.path, body=body if n else None, headers=hdrs)
		        r = c.getresponse()
		        data = r.read()
		        out = [(k, v.replace("http://" + upstream, "http://127.0.0.1:%d" % port)) for k, v in r.getheaders()
		               if k.lower() not in ("content-length", "connection", "transfer-encoding")]
		        blob = mode == "flaky" and self.command == "GET" and m and m.group(2) == "blobs" and r.status == 200
		        rng = re.match(r"bytes=(\d+)-$", self.headers.get("Range", ""))
		        if blob and rng:
		            start = int(rng.group(1))
		            open(log, "a").write("range %d %s\n" % (start, self.path))
		            out.append(("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data))))
		            return self.reply(206, data[start:], out)
		        if blob and self.path not in cut and len(data) > 1000:
		            cut.add(self.path)
		            open(log, "a").write("cut " + self.path + "\n")
		            self.close_connection = True
		            return self.reply(200, data[: len(data) // 2], out, length=len(data))
		        self.reply(r.status, data, out)
		    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = handle_any
		http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
	EOF
}

# start_front MODE: runs a front in MODE on a free port; sets FRONT (host:port), FRONT_LOG.
start_front() {
	local d=$BATS_FILE_TMPDIR port i
	port=$(free_port)
	python3 "$d/front.py" "$port" "$REG" "$d/front-$1.log" "$1" >"$d/front-$1.out" 2>&1 &
	echo $! >"$d/front-$1.pid"
	for i in $(seq 50); do
		curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && break
		sleep 0.1
	done
	echo "127.0.0.1:$port"
}

setup_file() {
	command -v docker-registry >/dev/null || skip "docker-registry is not installed"
	command -v skopeo >/dev/null || skip "skopeo is not installed"
	local d=$BATS_FILE_TMPDIR
	make_rootfs_tar
	make_archive "$d/a" "$d/rootfs.tar" "$d/busybox.tar"
	# A second image whose layer no other image shares: the tamper test corrupts it.
	cp "$d/rootfs.tar" "$d/rootfs2.tar"
	echo tampered >"$d/marker" && tar -C "$d" -rf "$d/rootfs2.tar" marker
	make_archive "$d/b" "$d/rootfs2.tar" "$d/other.tar"

	export REG_PORT REG_DATA=$d/registry-data
	REG_PORT=$(free_port)
	cat >"$d/registry.yml" <<-EOF
		version: 0.1
		log:
		  level: error
		storage:
		  filesystem:
		    rootdirectory: $REG_DATA
		http:
		  addr: 127.0.0.1:$REG_PORT
	EOF
	docker-registry serve "$d/registry.yml" >"$d/registry.log" 2>&1 &
	echo $! >"$d/registry.pid"
	local i
	for i in $(seq 50); do
		curl -sf "http://127.0.0.1:$REG_PORT/v2/" >/dev/null && break
		sleep 0.1
	done
	curl -sf "http://127.0.0.1:$REG_PORT/v2/" >/dev/null || { cat "$d/registry.log" >&2; return 1; }
	export REG=127.0.0.1:$REG_PORT
	skopeo copy -q --dest-tls-verify=false "docker-archive:$d/busybox.tar" "docker://$REG/busybox:latest" >&2
	skopeo copy -q --dest-tls-verify=false "docker-archive:$d/other.tar" "docker://$REG/other:latest" >&2
	skopeo copy -q --dest-tls-verify=false "docker-archive:$d/other.tar" "docker://$REG/busybox:arm" >&2

	write_front "$d/front.py"
	export AUTH_REG BASIC_REG FLAKY_REG AUTH_LOG=$d/front-bearer.log FLAKY_LOG=$d/front-flaky.log
	AUTH_REG=$(start_front bearer)
	BASIC_REG=$(start_front basic)
	FLAKY_REG=$(start_front flaky)
}

teardown_file() {
	local pidfile pid
	for pidfile in "$BATS_FILE_TMPDIR"/front-*.pid "$BATS_FILE_TMPDIR"/registry.pid; do
		[[ -f $pidfile ]] || continue
		pid=$(cat "$pidfile")
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null || true
	done
}

# Files in the store other than its lock and refs.
store_files() {
	find "$STORE/blobs/sha256" "$STORE/layers" -mindepth 1 -maxdepth 1 2>/dev/null | sort
}

@test "registry: pull an image skopeo pushed, list it and run it" {
	run st pull "$REG/busybox:latest"
	assert_success
	[[ $output =~ ^sha256:[0-9a-f]{64}$ ]]
	local digest=$output
	assert_equal "$digest" "$(skopeo inspect --tls-verify=false "docker://$REG/busybox:latest" | jq -r .Digest)"
	run st images --format json
	assert_success
	assert_equal "$(jq -r '.[0].Repository + ":" + .[0].Tag' <<<"$output")" "$REG/busybox:latest"
	run st run --rm --cgroup-parent "$CGP" "$REG/busybox:latest" sh -c 'echo pulled-ok'
	assert_success
	assert_equal "$output" "pulled-ok"
}

@test "registry: a second pull fetches nothing new and prints no progress off a terminal" {
	st pull "$REG/busybox:latest" >/dev/null
	local before
	before=$(store_files)
	run st pull "$REG/busybox" 2>"$TEST_TMP/stderr"
	assert_success
	assert_equal "$(store_files)" "$before"
	[[ ! -s $TEST_TMP/stderr ]]
}

@test "registry: push an imported image; skopeo sees it; pull brings back the same digest" {
	st import "$BATS_FILE_TMPDIR/rootfs.tar" staple-test/pushme:1 >/dev/null
	run st push staple-test/pushme:1 "$REG/pushed/img:v1"
	assert_success
	local digest=$output
	[[ $digest =~ ^sha256:[0-9a-f]{64}$ ]]
	run skopeo inspect --tls-verify=false "docker://$REG/pushed/img:v1"
	assert_success
	assert_equal "$(jq -r .Digest <<<"$output")" "$digest"
	assert_equal "$(jq -r '.Layers | length' <<<"$output")" 1
	# a second push finds every blob there (HEAD) and succeeds
	run st push staple-test/pushme:1 "$REG/pushed/img:v1"
	assert_success
	# push by its own name: tag the image with a registry reference first
	STORE=$TEST_TMP/store2 run st pull "$REG/pushed/img:v1"
	assert_success
	assert_equal "$output" "$digest"
	STORE=$TEST_TMP/store2 run st push "$REG/pushed/img:v1"
	assert_success
	assert_equal "$output" "$digest"
}

@test "registry: a missing tag or repository fails clearly and leaves the store empty" {
	run st pull "$REG/busybox:nosuchtag"
	assert_failure
	assert_output_contains "manifest nosuchtag: HTTP 404"
	assert_output_contains "MANIFEST_UNKNOWN"
	run st pull "$REG/nosuchrepo:latest"
	assert_failure
	assert_output_contains "HTTP 404"
	assert_equal "$(store_files)" ""
	run st push staple-test/nosuchimage:1 "$REG/x:1"
	assert_failure
}

@test "registry: references without a host, by digest, or to a closed port are refused" {
	run st pull busybox
	assert_failure
	assert_output_contains "names no registry host"
	run st pull "$REG/busybox@sha256:0000000000000000000000000000000000000000000000000000000000000000"
	assert_failure
	assert_output_contains "not supported"
	run st pull "127.0.0.1:$(free_port)/busybox:latest"
	assert_failure
	assert_output_contains "connect"
	run st pull --tls-verify=maybe "$REG/busybox"
	assert_failure
	assert_output_contains "usage"
}

@test "registry: a tampered blob fails with a digest mismatch and leaves nothing in the store" {
	local layer data
	layer=$(skopeo inspect --tls-verify=false --raw "docker://$REG/other:latest" | jq -r '.layers[0].digest')
	data=$REG_DATA/docker/registry/v2/blobs/sha256/${layer:7:2}/${layer:7}/data
	[[ -f $data ]]
	cp "$data" "$TEST_TMP/layer.orig"
	printf 'XXXXXXXX' | dd of="$data" bs=1 seek=2000 conv=notrunc 2>/dev/null
	run st pull "$REG/other:latest"
	cp "$TEST_TMP/layer.orig" "$data"
	assert_failure
	assert_output_contains "digest mismatch: expected $layer"
	assert_equal "$(store_files)" ""
	run st images -q
	assert_equal "$output" ""
	# the same pull succeeds once the blob is whole again
	run st pull "$REG/other:latest"
	assert_success
}

@test "registry: bearer tokens from WWW-Authenticate, with basic credentials from an auth file" {
	run st pull "$AUTH_REG/busybox:latest"
	assert_failure
	assert_output_contains "HTTP 401"
	assert_output_contains "no credentials"
	printf '{"auths":{"%s":{"auth":"%s"}}}' "$AUTH_REG" "$(printf tester:secret | base64)" >"$TEST_TMP/auth.json"
	run st pull --authfile "$TEST_TMP/auth.json" "$AUTH_REG/busybox:latest"
	assert_success
	grep -qx "repository:busybox:pull" "$AUTH_LOG"
	# the docker config format, found through $HOME
	mkdir -p "$TEST_TMP/home/.docker"
	printf '{"auths":{"http://%s":{"auth":"%s"}}}' "$AUTH_REG" "$(printf tester:secret | base64)" \
		>"$TEST_TMP/home/.docker/config.json"
	st import "$BATS_FILE_TMPDIR/rootfs.tar" staple-test/authpush:1 >/dev/null
	HOME=$TEST_TMP/home run st push staple-test/authpush:1 "$AUTH_REG/authpush:1"
	assert_success
	grep -qx "repository:authpush:pull,push" "$AUTH_LOG"
	run skopeo inspect --tls-verify=false "docker://$REG/authpush:1"
	assert_success
	# wrong credentials: the token request is refused
	printf '{"auths":{"%s":{"auth":"%s"}}}' "$AUTH_REG" "$(printf tester:wrong | base64)" >"$TEST_TMP/bad.json"
	run st pull --authfile "$TEST_TMP/bad.json" "$AUTH_REG/busybox:latest"
	assert_failure
	assert_output_contains "token from http://$AUTH_REG/token"
	assert_output_contains "HTTP 401"
}

# put_index REPO TAG: an OCI index listing busybox:arm as linux/arm64, busybox:latest as linux/amd64.
put_index() {
	local arm amd
	arm=$(curl -sf -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "http://$REG/v2/busybox/manifests/arm")
	amd=$(curl -sf -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "http://$REG/v2/busybox/manifests/latest")
	jq -cn --arg armd "sha256:$(printf %s "$arm" | sha256sum | cut -d' ' -f1)" --argjson arms "${#arm}" \
		--arg amdd "sha256:$(printf %s "$amd" | sha256sum | cut -d' ' -f1)" --argjson amds "${#amd}" '{
		schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
		manifests: [
		  {mediaType: "application/vnd.docker.distribution.manifest.v2+json", digest: $armd, size: $arms,
		   platform: {os: "linux", architecture: "arm64"}},
		  {mediaType: "application/vnd.docker.distribution.manifest.v2+json", digest: $amdd, size: $amds,
		   platform: {os: "linux", architecture: "amd64"}}]}' >"$TEST_TMP/index.json"
	curl -sf -X PUT -H 'Content-Type: application/vnd.oci.image.index.v1+json' \
		--data-binary @"$TEST_TMP/index.json" "http://$REG/v2/$1/manifests/$2"
}

@test "registry: an image index resolves to its linux/amd64 manifest" {
	put_index busybox multi
	run st pull "$REG/busybox:multi"
	assert_success
	assert_equal "$output" "$(skopeo inspect --tls-verify=false "docker://$REG/busybox:latest" | jq -r .Digest)"
	run st run --rm --cgroup-parent "$CGP" "$REG/busybox:multi" cat /marker
	assert_failure # the amd64 image is busybox:latest, which has no /marker
}

@test "registry: basic auth challenges are answered from the auth file" {
	run st pull "$BASIC_REG/busybox:latest"
	assert_failure
	assert_output_contains "HTTP 401"
	printf '{"auths":{"%s":{"auth":"%s"}}}' "$BASIC_REG" "$(printf tester:secret | base64)" >"$TEST_TMP/auth.json"
	run st pull --authfile "$TEST_TMP/auth.json" "$BASIC_REG/busybox:latest"
	assert_success
	st import "$BATS_FILE_TMPDIR/rootfs.tar" staple-test/basicpush:1 >/dev/null
	run st push --authfile "$TEST_TMP/auth.json" staple-test/basicpush:1 "$BASIC_REG/basicpush:1"
	assert_success
}

@test "registry: a blob download cut short is resumed with a Range request" {
	run st pull "$FLAKY_REG/busybox:latest"
	assert_success
	grep -q "^cut /v2/busybox/blobs/" "$FLAKY_LOG"
	grep -Eq "^range [1-9][0-9]* /v2/busybox/blobs/" "$FLAKY_LOG"
	run st run --rm --cgroup-parent "$CGP" "$FLAKY_REG/busybox:latest" true
	assert_success
}
