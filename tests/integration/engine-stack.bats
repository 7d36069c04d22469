#!/usr/bin/env bats
# Stacks from compose files: `staple stack up|down|ps`. Every test writes its compose file
# under its own temp dir ($TEST_TMP/proj), puts every service in the test's cgroup parent
# (cgroup_parent: $CGP) and names the project with -p; teardown (engine-lib.bash) fails
# the test when a container, mount, process, monitor or cgroup was left. The ports test
# runs staple inside a network namespace of its own, as engine-network.bats does.

load engine-lib

setup_file() {
	make_rootfs_tar
}

setup() {
	engine_setup
	PROJ=$TEST_TMP/proj
	mkdir -p "$PROJ"
	import_image
}

# stk ARGS: staple stack ARGS run from the project dir.
stk() {
	(cd "$PROJ" && st stack "$@")
}

# A service's command that lives until SIGTERM (so stop does not wait for SIGKILL).
LIVE='trap "exit 0" TERM; sleep 1000 & wait'

two_services() {
	cat >"$PROJ/compose.yaml" <<EOF
version: "3.8"
services:
  web:
    image: $IMG
    cgroup_parent: $CGP
    command: sh -c 'echo "web \$\$GREETING"; $LIVE'
    environment:
      GREETING: hello world
    depends_on: [db]
  db:
    image: $IMG
    cgroup_parent: $CGP
    entrypoint: ["sh", "-c"]
    command: ['echo db-\$\$ROLE; $LIVE']
    environment:
      - ROLE=primary
EOF
}

insp() { # CONTAINER JQ-FILTER
	st inspect "$1" | jq -r "if type == \"array\" then .[0] else . end | $2"
}

healthy() { # CONTAINER
	[[ $(insp "$1" .State.Health.Status) == healthy ]]
}

logs_have() { # CONTAINER TEXT
	st logs "$1" 2>&1 | grep -qxF -- "$2"
}

@test "stack: up starts services in dependency order; ps lists them; logs show command and environment" {
	two_services
	run stk up -p stk
	assert_success
	assert_equal "$output" "$(printf 'staple: warning: compose.yaml:1: top-level key "version" is ignored\nstk-db-1 created\nstk-web-1 created')"
	run stk ps -p stk
	assert_success
	[[ ${lines[1]} =~ ^stk-db-1\ +db\ +running$ ]] || { echo "$output" >&2; false; }
	[[ ${lines[2]} =~ ^stk-web-1\ +web\ +running$ ]] || { echo "$output" >&2; false; }
	retry 50 logs_have stk-web-1 "web hello world"
	retry 50 logs_have stk-db-1 "db-primary"
	assert_equal "$(jq -r '.labels["com.docker.compose.project"] + "/" + .labels["com.docker.compose.service"]' \
		"$STORE/containers/$(insp stk-web-1 .Id)/container.json")" stk/web
}

@test "stack: a second up changes nothing; an exited service is started again; down removes all" {
	two_services
	run stk up -p stk
	assert_success
	local ids
	ids=$(st ps -aq | sort)
	run stk up -p stk
	assert_success
	assert_output_contains "stk-db-1 running"
	assert_output_contains "stk-web-1 running"
	assert_equal "$(st ps -aq | sort)" "$ids"
	run st stop stk-db-1
	assert_success
	run stk up -p stk
	assert_success
	assert_output_contains "stk-db-1 started"
	assert_output_contains "stk-web-1 running"
	assert_equal "$(insp stk-db-1 .State.Status)" running
	run stk down -p stk
	assert_success
	assert_equal "$output" "$(printf 'staple: warning: compose.yaml:1: top-level key "version" is ignored\nstk-web-1 removed\nstk-db-1 removed')"
	assert_equal "$(st ps -aq)" ""
	run stk ps -p stk
	assert_equal "${#lines[@]}" 1
}

@test "stack: the project defaults to the directory's name; down works from labels alone" {
	two_services
	run stk up
	assert_success
	assert_output_contains "proj-web-1 created"
	rm "$PROJ/compose.yaml"
	run stk ps -p proj
	assert_success
	assert_output_contains "proj-db-1"
	run stk down -p proj
	assert_success
	assert_output_contains "proj-web-1 removed"
	assert_output_contains "proj-db-1 removed"
	assert_equal "$(st ps -aq)" ""
}

@test "stack: restart, healthcheck, resources and read_only land in the container" {
	cat >"$PROJ/app.yaml" <<EOF
services:
  app:
    image: $IMG
    cgroup_parent: $CGP
    command: ['sh', '-c', '$LIVE']
    restart: on-failure:2
    read_only: true
    mem_limit: 64m
    pids_limit: 50
    labels:
      com.example.role: test
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
      timeout: 2s
      retries: 2
EOF
	run stk up -f app.yaml -p hc
	assert_success
	assert_equal "$output" "hc-app-1 created"
	assert_equal "$(insp hc-app-1 .HostConfig.RestartPolicy.Name)" on-failure
	assert_equal "$(insp hc-app-1 .HostConfig.RestartPolicy.MaximumRetryCount)" 2
	local id dir
	id=$(insp hc-app-1 .Id)
	dir=$STORE/containers/$id
	assert_equal "$(jq -c .health.test "$dir/container.json")" '["/bin/sh","-c","'"'"'true'"'"'"]'
	assert_equal "$(jq -r '.health | "\(.interval_ms) \(.timeout_ms) \(.retries)"' "$dir/container.json")" "1000 2000 2"
	assert_equal "$(jq -r '.labels["com.example.role"]' "$dir/container.json")" test
	assert_equal "$(jq -r .linux.resources.memory.limit "$dir/config.json")" $((64 << 20))
	assert_equal "$(jq -r .linux.resources.pids.limit "$dir/config.json")" 50
	assert_equal "$(jq -r .root.readonly "$dir/config.json")" true
	retry 50 healthy hc-app-1 || { st inspect hc-app-1 >&2; false; }
	run stk down -f app.yaml -p hc
	assert_success
	assert_equal "$output" "hc-app-1 removed"
}

# bad_file NAME CONTENT WANT: up fails with 125, the message has WANT, nothing was made.
bad_file() {
	printf '%s\n' "$2" >"$PROJ/$1"
	run stk up -f "$1" -p bad
	assert_failure
	assert_equal "$status" 125
	assert_output_contains "$3"
	assert_equal "$(st ps -aq)" ""
}

@test "stack: bad files fail with 125, name the line, and leave nothing" {
	bad_file unknown.yaml "services:
  a:
    image: $IMG
    cgroup_parent: $CGP
    privileged: true" 'unknown.yaml:5: service a: unknown key "privileged"'
	bad_file build.yaml "services:
  a:
    build: .
    cgroup_parent: $CGP" 'build.yaml:3: service a: key "build": building images is not supported'
	bad_file cycle.yaml "services:
  a:
    image: $IMG
    cgroup_parent: $CGP
    depends_on: [b]
  b:
    image: $IMG
    cgroup_parent: $CGP
    depends_on: [a]" 'cycle.yaml:5: dependency cycle: a -> b -> a'
	bad_file noimage.yaml "services:
  a:
    cgroup_parent: $CGP
    command: true" 'noimage.yaml:2: service a: no image'
	bad_file missing.yaml "services:
  a:
    image: $IMG
    cgroup_parent: $CGP
    command: ['sh', '-c', '$LIVE']
  b:
    image: staple-test/absent:1
    cgroup_parent: $CGP
    depends_on: [a]" 'service b:'
	run stk up -p bad
	assert_equal "$status" 125
	assert_output_contains "no compose.yaml, compose.yml or docker-compose.yml"
}

# ---- ports, inside a network namespace of the test's own (see engine-network.bats) ----

# stkn ARGS: staple stack in the test's network namespace, from the project dir.
stkn() {
	(cd "$PROJ" && stn stack "$@")
}

@test "stack: ports put a service on the bridge with its port mapped; down cleans the network" {
	netns_setup
	cat >"$PROJ/compose.yaml" <<EOF
services:
  web:
    image: $IMG
    cgroup_parent: $CGP
    ports: ["18090:80"]
    command: sh -c 'mkdir -p /www; echo hello-stack >/www/index.html; exec httpd -f -p 80 -h /www'
EOF
	run stkn up -p net
	assert_success
	assert_equal "$output" "net-web-1 created"
	assert_equal "$(stn inspect net-web-1 | jq -r .NetworkSettings.NetworkMode)" bridge
	retry 50 fetch "http://10.89.0.1:18090/"
	assert_equal "$(fetch "http://10.89.0.1:18090/")" hello-stack
	run stkn down -p net
	assert_success
	assert_equal "$output" "net-web-1 removed"
	[[ -z $(inns ip -o link show type veth) ]] || { echo "veth left" >&2; false; }
	[[ -z $(inns iptables -t nat -S | grep -- "--dport 18090") ]] || { echo "DNAT left" >&2; false; }
}
