# Two commands: `make demo` and `make test`. Both set everything up on a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   := kustomization-examples/sidecar-log-shipper

.PHONY: setup tools image demo test lint typecheck unit bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# kubectl (with kustomize) and kpt ship with these machines; the tests run them for real.
# nginx (Debian's, with the stream module) runs the configs Ambassador generates; busybox runs
# the init containers' scripts with the applets their images have.
tools:
	@command -v kubectl >/dev/null || { echo "kubectl is missing: the kustomize tests need it"; exit 1; }
	@command -v kpt >/dev/null || { echo "kpt is missing: the kpt tests need it"; exit 1; }
	@command -v openssl >/dev/null || { echo "openssl is missing: the nginx tests need it"; exit 1; }
	@test -x /usr/sbin/nginx -a -e /usr/lib/nginx/modules/ngx_stream_module.so -a -x /bin/busybox \
		|| bash scripts/install-test-tools.sh

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
	$(BIN)/ruff check krm_fn tests bench
	$(BIN)/ruff format --check krm_fn tests bench

typecheck: setup
	$(BIN)/mypy

unit: setup tools image
	$(BIN)/pytest

test: lint typecheck unit

bench: setup tools
	$(BIN)/python bench/bench.py

clean:
	rm -rf $(VENV) .build .pytest_cache .mypy_cache .ruff_cache *.egg-info
