# Two commands: `make demo` and `make test`. Both set everything up on a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   := kustomization-examples/sidecar-log-shipper

.PHONY: setup tools test-tools-update image demo test lint typecheck unit bench fuzz clean validators

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]' \
		--config-settings editable_mode=compat  # a path in a .pth, no import hook: start-up as installed
	touch $(STAMP)

setup: $(STAMP)

# kubectl (with kustomize) and kpt ship with these machines; the tests run them for real.
# nginx (Debian's, with the stream module) runs the configs Ambassador generates; busybox runs
# the init containers' scripts with the applets their images have. etcd, kube-apiserver,
# kube-controller-manager and standalone kustomize are built from their Go modules into
# .build/bin, once per machine and again when a pin in testtools/versions.env changes.
tools:
	@command -v kubectl >/dev/null || { echo "kubectl is missing: the kustomize tests need it"; exit 1; }
	@command -v kpt >/dev/null || { echo "kpt is missing: the kpt tests need it"; exit 1; }
	@command -v openssl >/dev/null || { echo "openssl is missing: the nginx tests need it"; exit 1; }
	@test -x /usr/sbin/nginx -a -e /usr/lib/nginx/modules/ngx_stream_module.so -a -x /bin/busybox -a -x /usr/bin/shellcheck \
		|| bash scripts/install-test-tools.sh
	@bash scripts/test-tools.sh

# After changing a config model (krm_fn/models, krm_fn/spec.py): regenerate the validators the
# run path uses instead of pydantic, and the webhook chart's values.schema.json (krm_fn/codegen.py;
# a test fails while they are stale).
validators: setup
	$(BIN)/python -m krm_fn.codegen

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

# The container image, built offline with podman (scripts/build-image.sh says how).
image:
	bash scripts/build-image.sh

lint: setup
	$(BIN)/ruff check krm_fn tests bench fuzz
	$(BIN)/ruff format --check krm_fn tests bench fuzz

typecheck: setup
	$(BIN)/mypy

unit: setup tools image
	$(BIN)/pytest

test: lint typecheck unit

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
