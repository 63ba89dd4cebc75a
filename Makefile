# Two commands: `make demo` and `make test`. Both set everything up on a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   := kustomization-examples/sidecar-log-shipper
# What every machine installs: exact versions with their hashes, wheels only (docs/testing.md).
LOCK       := requirements/dev.txt
IMAGE_LOCK := requirements/image.txt
PIP     = $(1)/python -m pip --disable-pip-version-check
NEWEST := .build/venv-newest

.PHONY: setup tools test-tools-update image demo test suite lint typecheck unit bench fuzz clean \
	validators corpus lock lock-upgrade test-newest

# The venv holds the lock and nothing else, then krm-fn itself, editable (a path in a .pth, no
# import hook: start-up as installed), built with the lock's setuptools.
$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv --clear $(VENV)
	$(call PIP,$(BIN)) install --quiet --require-hashes --only-binary :all: -r $(LOCK)
	$(call PIP,$(BIN)) install --quiet --no-deps --no-build-isolation -e . \
		--config-settings editable_mode=compat
	touch $(STAMP)

setup: $(STAMP)

# After changing a dependency in pyproject.toml: `make lock` (keeps every other pin);
# `make lock-upgrade` moves every pin to the newest version allowed. Both write
# requirements/dev.txt and its subset requirements/image.txt (the image), for the machines of the
# project and the image's base: CPython 3.11 on x86_64 Linux (each pin's hashes cover every
# platform's wheels, arm64 too).
UV_COMPILE = $(BIN)/uv pip compile --quiet --python-version 3.11 \
	--python-platform x86_64-manylinux_2_28 --generate-hashes --custom-compile-command 'make lock'
lock: setup
	$(UV_COMPILE) $(UPGRADE) pyproject.toml requirements/build.in --extra dev -o $(LOCK)
	$(UV_COMPILE) pyproject.toml requirements/build.in --extra webhook -c $(LOCK) -o $(IMAGE_LOCK)

lock-upgrade:
	$(MAKE) lock UPGRADE=--upgrade

# The real-world manifests of the tests (tests/corpus.toml), checked by sha256, in .build/corpus.
corpus: setup
	$(BIN)/python scripts/corpus.py

# kubectl (with kustomize) and kpt ship with these machines; the tests run them for real.
# The node of the tests (kubelet, containerd, runc, CNI, kube-proxy, CoreDNS) is built here too,
# and its pods' images made from Debian's packages (scripts/node-images.py, .build/node/images).
# nginx (Debian's, with the stream module) runs the configs Ambassador generates; busybox runs
# the init containers' scripts with the applets their images have. etcd, kube-apiserver,
# kube-controller-manager and standalone kustomize are built from their Go modules into
# .build/bin, once per machine and again when a pin in testtools/versions.env changes.
tools:
	@command -v kubectl >/dev/null || { echo "kubectl is missing: the kustomize tests need it"; exit 1; }
	@command -v kpt >/dev/null || { echo "kpt is missing: the kpt tests need it"; exit 1; }
	@command -v openssl >/dev/null || { echo "openssl is missing: the nginx tests need it"; exit 1; }
	@test -x /usr/sbin/nginx -a -e /usr/lib/nginx/modules/ngx_stream_module.so -a -x /bin/busybox -a -x /usr/bin/shellcheck -a -x /usr/bin/redis-server \
		-a -e /usr/include/seccomp.h -a -x /usr/bin/mmdebstrap -a -x /usr/sbin/nft -a -x /usr/sbin/conntrack \
		|| bash scripts/install-test-tools.sh
	@bash scripts/test-tools.sh
	@$(PYTHON) scripts/node-images.py

# After changing a config model (krm_fn/patterns/models, krm_fn/patterns/models/spec.py): regenerate the validators the
# run path uses instead of pydantic, and the webhook chart's values.schema.json (scripts/codegen.py;
# a test fails while they are stale).
validators: setup
	$(BIN)/python scripts/codegen.py

# After changing a pin in testtools/versions.env: regenerate testtools/*/go.mod and go.sum.
test-tools-update:
	bash scripts/test-tools.sh update

demo: setup
	@if command -v kubectl >/dev/null; then \
	  $(BIN)/krm-fn install-plugins $(VENV)/kustomize-plugins >/dev/null && \
	  echo "# KUSTOMIZE_PLUGIN_HOME=$(VENV)/kustomize-plugins kubectl kustomize --enable-alpha-plugins $(DEMO)" && \
	  KUSTOMIZE_PLUGIN_HOME=$(CURDIR)/$(VENV)/kustomize-plugins kubectl kustomize --enable-alpha-plugins $(DEMO); \
	else \
	  echo "# kubectl not found: using krm-fn run instead"; \
	  $(BIN)/krm-fn run $(DEMO)/log-shipper.yaml $(DEMO)/deployment.yaml $(DEMO)/service.yaml; \
	fi
	@echo "# What changed: krm-fn run --diff $(DEMO)/log-shipper.yaml $(DEMO)/deployment.yaml $(DEMO)/service.yaml"
	@$(BIN)/krm-fn run --diff --quiet $(DEMO)/log-shipper.yaml $(DEMO)/deployment.yaml $(DEMO)/service.yaml; \
	  [ $$? -le 1 ]  # exit 1: there are differences, which is what the demo shows

# The container image, built offline with podman (scripts/build-image.sh says how).
image:
	bash scripts/build-image.sh

lint: setup
	$(BIN)/ruff check krm_fn tests bench fuzz scripts
	$(BIN)/ruff format --check krm_fn tests bench fuzz scripts

typecheck: setup
	$(BIN)/mypy
	$(BIN)/mypy scripts/codegen.py  # the generator is no module of the package

# Every test, with every tool they need built first (make test).
suite: setup tools corpus image
	$(BIN)/pytest

test: lint typecheck suite

# The tests that need nothing but the venv (and kubectl, kpt, sh, which these machines have):
# about 430 of them in under a minute, for the edit-test loop. What the others need is a marker
# each (tests/conftest.py, pyproject.toml); `make test` runs them all, as CI does.
UNIT_MARKERS := not (tools or cluster or node or image or argocd or corpus or slow)
unit: setup
	$(BIN)/pytest -m "$(UNIT_MARKERS)"

# The tests with the newest versions pyproject.toml allows instead of the lock, in a venv of their
# own: what `pip install krm-fn` gives a user today. Run before a release and weekly
# (.github/workflows/tests.yml); a failure here is fixed in the code or in the allowed ranges.
test-newest: setup tools corpus image
	$(PYTHON) -m venv --clear $(NEWEST)
	$(call PIP,$(NEWEST)/bin) install --quiet --upgrade --upgrade-strategy eager -e '.[dev]' \
		-r requirements/build.in --config-settings editable_mode=compat
	$(NEWEST)/bin/python scripts/newer-than-lock.py $(LOCK)
	$(NEWEST)/bin/pytest

# Benchmarks against kustomize, kpt and the PyYAML floor; writes docs/performance.md.
bench: setup tools
	@command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null
	$(BIN)/python bench/bench.py

# A long fuzzing run (make test runs a short one); the corpus grows in .build/fuzz-corpus.
FUZZ_SECONDS ?= 600
fuzz: setup
	$(BIN)/python fuzz/fuzz_krm_fn.py .build/fuzz-corpus -max_total_time=$(FUZZ_SECONDS) \
		-max_len=8192 -timeout=20 -rss_limit_mb=2048 -artifact_prefix=.build/

clean:
	rm -rf $(VENV) .build .pytest_cache .mypy_cache .ruff_cache *.egg-info
