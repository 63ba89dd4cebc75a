# krm-fn as a container KRM function: kustomize (`config.kubernetes.io/function: container:`),
# kpt (`image:` in a Kptfile, `kpt fn eval --image`) and `kpt fn doc` (runs it with --help);
# and `krm-fn webhook`, the admission webhook (the `webhook` extra), from the same image.
# They run it as `nobody`, without network, and krm-fn needs neither root nor a writable
# filesystem: the bytecode is compiled at build time.
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}

# Only for builds behind a TLS-intercepting proxy: the CA bundle pip should trust.
ARG PIP_CERT
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

# The dependencies are requirements/image.txt, the lock's runtime part: exact versions, checked
# by hash, wheels only; then krm-fn itself, built with the lock's setuptools. google-re2's wheel
# needs the base's C++ runtime (libstdc++6, in python:3.11-slim): the build fails without it.
COPY requirements/image.txt /src/requirements/
COPY pyproject.toml README.md /src/
COPY krm_fn /src/krm_fn
RUN python3 -m venv /opt/krm-fn \
 && /opt/krm-fn/bin/pip install --quiet ${PIP_CERT:+--cert "$PIP_CERT"} \
      --require-hashes --only-binary :all: -r /src/requirements/image.txt \
 && /opt/krm-fn/bin/pip install --quiet --no-deps --no-build-isolation /src \
 && /opt/krm-fn/bin/python -m compileall -q /opt/krm-fn \
 && /opt/krm-fn/bin/python -c 'import re2' \
 && /opt/krm-fn/bin/krm-fn install-plugins /opt/krm-fn/kustomize-plugins >/dev/null \
 && rm -rf /src \
 && /opt/krm-fn/bin/krm-fn --version

# kustomize's exec plugins, owned by root: the Argo CD plugin uses these (an app cannot change
# them), and `KUSTOMIZE_PLUGIN_HOME=$KRM_FN_PLUGIN_HOME kustomize build ...` works in the image.
ENV PATH=/opt/krm-fn/bin:$PATH \
    KRM_FN_PLUGIN_HOME=/opt/krm-fn/kustomize-plugins
USER 65532:65532
ENTRYPOINT ["krm-fn"]
