# staple: set-up and test entry points.
#   make deps    install the Debian packages that are missing (root)
#   make         build into build/ (meson + ninja)
#   make demo    build, make a busybox bundle and run one container
#   make check   the whole test suite (tests/run: ASan build, unit, bats, cgroup v2 VM)

BUILD ?= build
OCI := $(BUILD)/staple-oci
DEMO := $(BUILD)/demo

DEBS := meson ninja-build gcc libc6-dev binutils pkg-config libjson-c-dev libseccomp-dev \
	libcap-dev libcap2-bin libcriterion-dev bats busybox-static jq iproute2 procps \
	util-linux perl-base python3 libarchive-dev libssl-dev podman crun containerd \
	python3-grpcio python3-protobuf protobuf-compiler criu libcurl4-openssl-dev \
	docker-registry skopeo curl debootstrap containernetworking-plugins iptables \
	libyaml-dev

.PHONY: all build deps demo check rootfs

all: build

build:
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD)
	ninja -C $(BUILD)

deps:
	@missing=""; \
	for p in $(DEBS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
	fi

rootfs: build
	tests/rootfs.sh $(BUILD)/rootfs

# The demo container prints its hostname, its PID (1: its own pid namespace)
# and a greeting; state, bundle and cgroup are removed afterwards.
DEMO_ARGS := ["sh", "-c", "echo \"hostname: $$(hostname)\"; echo \"pid: $$$$\"; echo Hello from staple"]

demo: deps build rootfs
	@rm -rf $(DEMO) && mkdir -p $(DEMO)/bundle
	cp -a $(BUILD)/rootfs $(DEMO)/bundle/rootfs
	cd $(DEMO)/bundle && $(abspath $(OCI)) spec
	jq '.process.terminal = false | .process.args = $(DEMO_ARGS) | .hostname = "staple" | .linux.cgroupsPath = "/staple-demo/demo"' \
		$(DEMO)/bundle/config.json > $(DEMO)/bundle/config.json.new
	mv $(DEMO)/bundle/config.json.new $(DEMO)/bundle/config.json
	@id=staple-demo-$$$$; \
	$(OCI) --root $(DEMO)/state run -b $(DEMO)/bundle $$id < /dev/null; rc=$$?; \
	$(OCI) --root $(DEMO)/state delete --force $$id >/dev/null 2>&1; \
	rm -rf $(DEMO); \
	rmdir /sys/fs/cgroup/staple-demo /sys/fs/cgroup/*/staple-demo 2>/dev/null; \
	exit $$rc

check: deps
	tests/run
