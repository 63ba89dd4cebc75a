"""Config files as the webhook and `krm-fn audit` read them.

Every file, every document, every problem named by file and field, and no config value in a
message (what they say leaves the process).
"""

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from krm_fn.engine.config import ConfigError, Instance, as_config, load_config
from krm_fn.kinds import API_VERSION
from krm_fn.manifests.results import Result
from krm_fn.manifests.yamlio import InputError, load_all

FIELD_STEP = re.compile(r"\[\d+\]|[^.\[\]]+")  # spec.secrets[0].file: spec, secrets, [0], file


class ConfigDirError(Exception):
    """Configs that cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class ConfigSet:
    """The configs of one generation (of the webhook's directory), validated, in file order."""

    instances: list[Instance]
    files: dict[str, str] = field(default_factory=dict)  # instance key -> file name
    generation: int = 1
    # The documents as JSON: what they mention (answers.py); None when not loaded from files.
    documents_json: str | None = None


def config_files(directory: str) -> list[str]:
    """The config files of a directory (a mounted ConfigMap: its keys; never its ..data)."""
    names = sorted(n for n in os.listdir(directory) if not n.startswith("."))
    return [
        n
        for n in names
        if n.endswith((".yaml", ".yml", ".json")) and os.path.isfile(os.path.join(directory, n))
    ]


def load_config_files(
    named: list[tuple[str, str]],
    check: Callable[[Instance], str | None] | None = None,
    generation: int = 1,
) -> ConfigSet:
    """Every config of the files (name in messages, path); ConfigDirError lists each problem.

    `check` says why a config cannot be used where it is loaded (the webhook: at admission).
    """
    problems: list[str] = []
    instances: list[Instance] = []
    files: dict[str, str] = {}
    every_document: list[Any] = []
    for name, path in named:
        try:
            with open(path, encoding="utf-8") as handle:
                documents = load_all(handle.read(), name)
        except (OSError, UnicodeDecodeError, InputError) as err:
            problems.append(f"{name}: {err}")
            continue
        every_document += documents
        for index, document in enumerate(documents):
            where = name if len(documents) == 1 else f"{name}[{index}]"
            try:
                loaded = load_config(document)
            except ConfigError as err:
                problems += [f"{where}: {_field(r)}{redacted(r, document)}" for r in err.results]
                continue
            for instance in loaded:
                problem = check(instance) if check else None
                if problem:
                    problems.append(f"{where}: {instance.kind} {instance.name!r}: {problem}")
                elif instance.key in files:
                    problems.append(f"{where}: {instance.key} is also in {files[instance.key]}")
                else:
                    files[instance.key] = where
                    instances.append(instance)
    if problems:
        raise ConfigDirError("; ".join(problems))
    if not instances:
        names = ", ".join(name for name, _ in named) or "no file"
        raise ConfigDirError(f"{names}: no config ({API_VERSION}, any kind)")
    mentioned = json.dumps(every_document, ensure_ascii=False, default=str)
    return ConfigSet(instances, files, generation, mentioned)


def redacted(result: Result, document: Any) -> str:
    """A config error's message without the value it is about: the field names it instead.

    What the webhook says about its configs (its log, /readyz over plain HTTP) leaves the
    process, and a value may be a credential (`vault://user:password@...`).
    """
    document = as_config(document)  # a ConfigMap's fields point into its data.spec
    node = document
    for step in FIELD_STEP.findall(result.field or ""):  # as far as the path resolves
        key = int(step[1:-1]) if step.startswith("[") else step
        found = (isinstance(node, dict) and key in node) or (
            isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node)
        )
        if not found:
            break
        node = node[key]
    values: set[str] = set()
    stack = [node]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack += value.values()
        elif isinstance(value, list):
            stack += value
        elif isinstance(value, str) and len(value) >= 3 and node is not document:
            values.add(value)
    message = result.message
    for value in sorted(values, key=len, reverse=True):
        for form in (repr(value), json.dumps(value)):
            message = message.replace(form, "(the value)")
        message = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", "(the value)", message)
    return message


def _field(result: Result) -> str:
    return f"{result.field}: " if result.field else ""
