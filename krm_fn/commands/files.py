"""What the commands read and write: inputs as kpt reads a package, configs, the result's files.

Every file written is proven inside its directory (links resolved) before anything is written.
"""

import os
from typing import TYPE_CHECKING, Any, TextIO

from krm_fn import framework
from krm_fn.commands.arguments import Arguments, UsageError
from krm_fn.manifests import yamlio

if TYPE_CHECKING:
    from krm_fn.manifests.sources import Source


def read_source(
    reader: framework.Reader, inputs: list[str], stdin: TextIO, allow_empty: bool | None = None
) -> "Source":
    """What the inputs hold; no resources is an error unless allowed (None: no such option)."""
    from krm_fn.manifests import sources

    texts: list[tuple[str, str]] = []
    for name in inputs or ["-"]:
        if name == "-":
            texts.append(("stdin", reader.stream(stdin, "stdin")))
        elif os.path.isdir(name):
            texts += [(path, reader.file(path)) for path in sources.package_files(name)]
        elif os.path.exists(name):
            texts.append((name, reader.file(name)))
        else:
            raise yamlio.InputError(f"{name}: no such file or directory")
    source = sources.read(texts)
    names = [
        f"{d.path} (document {d.index + 1})" for d in source.documents if d.resource is not None
    ]
    framework.check_items(source.items, ", ".join(inputs or ["stdin"]), names)
    if not source.items and not allow_empty:
        message = framework.NO_RESOURCES.format(", ".join(inputs or ["stdin"]))
        if allow_empty is not None:
            message += "; --allow-empty accepts it (a Helm chart that renders only hooks)"
        raise yamlio.InputError(message)
    return source


def split_configs(
    reader: framework.Reader, options: Arguments
) -> tuple[list[tuple[str, Any]], list[str]]:
    """The configs (file, document) and the inputs of run and check."""
    inputs = list(options.inputs)
    paths = list(options.config)
    if not paths:
        if not inputs:
            raise UsageError("a config is required: CONFIG [FILE|DIR|-]..., or --config FILE")
        paths.append(inputs.pop(0))
        while inputs and only_configs(reader, inputs[0]):
            paths.append(inputs.pop(0))
    configs = [
        (path, document) for path in paths for document in framework.read_config(reader, path)
    ]
    return configs, inputs


def only_configs(reader: framework.Reader, path: str) -> bool:
    """Whether a file holds krm-fn configs and nothing else (a few bytes' look, then a parse)."""
    from krm_fn.kinds import API_VERSION

    if path == "-" or not os.path.isfile(path):
        return False
    with open(path, "rb") as handle:
        if API_VERSION.encode() not in handle.read(65_536):
            return False
    try:
        documents = yamlio.load_all(reader.file(path), path)
    except yamlio.InputError:
        return False
    return bool(documents) and all(
        isinstance(d, dict) and d.get("apiVersion") == API_VERSION for d in documents
    )


def write_result(options: Arguments, source: Any, items: list[Any], stdout: TextIO) -> None:
    """The result on stdout, into a directory, or back into the files."""
    from krm_fn.manifests import sources

    before = {id(d.resource) for d in source.documents if d.resource is not None}
    now = {id(i) for i in items}
    removed = before - now
    added = [(i, added_path(i, source)) for i in items if id(i) not in before]
    if not (options.output or options.in_place):
        documents = [d for d in source.documents if id(d.resource) not in removed]
        pieces = [sources.render(d) for d in documents]  # comment-only ones too: a last `---`
        pieces += [yamlio.dump(i) for i, _ in added]
        stdout.write("".join(sources.joined(pieces)))
        return
    files = sources.rendered_files(source, added, removed)
    on_disk = [f for f in source.files if f != "stdin"]
    root = (
        os.path.commonpath([os.path.dirname(os.path.abspath(f)) for f in on_disk])
        if on_disk
        else "."
    )
    directory = root if options.in_place else str(options.output)
    owners = {path: resource for resource, path in added}
    writes = []  # every target proven inside its directory before anything is written
    for path, text in files.items():
        if path == "stdin":
            continue
        relative = os.path.relpath(os.path.abspath(path), root)
        target = path if options.in_place else os.path.join(directory, relative)
        check_inside(target, directory, owners.get(path))
        writes.append((path, target, text))
    if "stdin" in files:
        stdout.write(files["stdin"])
    for path, target, text in writes:
        if options.in_place and os.path.exists(path):
            with open(path, encoding="utf-8") as handle:
                if handle.read() == text:
                    continue  # a file krm-fn did not change is not touched
        os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
        if not text.strip():
            if os.path.exists(target):
                os.remove(target)
            continue
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(text)


def check_inside(target: str, directory: str, resource: Any) -> None:
    """Refuse a path that is not inside `directory` once links are resolved (or has a NUL)."""
    from krm_fn.manifests.results import describe

    what = describe(resource) if resource is not None else target
    if "\0" in target:
        raise yamlio.InputError(f"{what}: refusing to write a file whose path has a NUL byte")
    base = os.path.realpath(directory)
    resolved = os.path.realpath(target)
    if os.path.commonpath([base, resolved]) != base:
        raise yamlio.InputError(
            f"{what}: refusing to write {target}, which is outside {directory} "
            f"(it resolves to {resolved}); nothing was written"
        )


def added_path(resource: Any, source: Any) -> str:
    """Where a generated resource goes: `<kind>_<name>.yaml` next to the first file.

    As kpt writes what a function adds to a package.
    """
    first = next((f for f in source.files if f != "stdin"), None)
    if first is None:
        return "stdin"
    name = (
        f"{str(resource.get('kind')).lower()}_{(resource.get('metadata') or {}).get('name')}.yaml"
    )
    return os.path.join(os.path.dirname(first), name)
