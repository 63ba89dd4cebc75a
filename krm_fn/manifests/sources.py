"""Manifests read from files the way kpt reads a package, and written back as they were written.

A directory is read as kpt reads a package: `.yaml`/`.yml` files but what `.krmignore` files
exclude (gitignore's rules, by pathspec; a subdirectory with a Kptfile is a package of its own,
with its own `.krmignore` and none of its parent's), and never the Kptfile, kustomization files
or hidden files and directories (which kpt would read: `.git`, `.github`). Every document keeps its
file, its position and its text; two resources with the same identity are an error naming both
files. Written back, a document krm-fn did not change is its original text, byte for byte, and
a file with no changed document is not touched.
"""

import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pathspec

from krm_fn.manifests import yamlio

SKIPPED_NAMES = frozenset(["Kptfile", "kustomization.yaml", "kustomization.yml", "Kustomization"])
DOCUMENT_START = re.compile(r"^---(?:[ \t].*)?\r?$|^\.\.\.[ \t]*\r?$", re.M)
BARE_DOCUMENT_START = re.compile(r"---(?:[ \t]+#.*)?$")  # a `---` line with no content


@dataclass
class Document:
    """One YAML document of a file: its text as read, and the resource it holds."""

    path: str
    index: int
    text: str
    resource: Any
    original: Any = None  # a copy of the resource as read, to tell whether it changed
    styles: yamlio.StyleMap = field(default_factory=dict)  # quotes and flow styles as read


@dataclass
class Source:
    """Everything read: the documents in order, and the files they came from."""

    documents: list[Document] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    crlf: set[str] = field(default_factory=set)  # files whose every line ends in CRLF

    @property
    def items(self) -> list[Any]:
        """The resources, in the order read."""
        return [d.resource for d in self.documents if d.resource is not None]


def split_documents(text: str) -> list[str]:
    """The documents of a YAML stream, each with its own text (its `---` line included)."""
    starts = [m.start() for m in DOCUMENT_START.finditer(text)]
    pieces: list[str] = []
    previous = 0
    for start in starts:
        if start > previous or (start == previous and pieces):
            pieces.append(text[previous:start])
        previous = start
    pieces.append(text[previous:])
    return [p for p in pieces if p]


def _ignore_rules(package: str) -> "pathspec.GitIgnoreSpec | None":
    """The `.krmignore` of a package directory, as gitignore reads its patterns (or None)."""
    path = os.path.join(package, ".krmignore")
    if not os.path.isfile(path):
        return None
    import pathspec

    with open(path, encoding="utf-8") as handle:
        return pathspec.GitIgnoreSpec.from_lines(handle.read().splitlines())


def package_files(directory: str) -> list[str]:
    """The YAML files of a directory, as kpt reads a package (sorted)."""
    scopes: dict[str, tuple[str, Any]] = {}  # directory -> (its package, that package's rules)
    found = []
    for root, directories, names in os.walk(directory):
        parent = scopes.get(os.path.dirname(root))
        if parent is None or "Kptfile" in names:  # the top, or a package of its own
            scopes[root] = (root, _ignore_rules(root))
        else:
            scopes[root] = parent
        scope = scopes[root]
        directories[:] = sorted(
            d
            for d in directories
            if not d.startswith(".") and not _ignored(scope, os.path.join(root, d), True)
        )
        for name in names:
            if (
                name.endswith((".yaml", ".yml"))
                and not name.startswith(".")
                and name not in SKIPPED_NAMES
                and not _ignored(scope, os.path.join(root, name), False)
            ):
                found.append(os.path.join(root, name))
    return sorted(found)


def _ignored(scope: tuple[str, Any], path: str, is_directory: bool) -> bool:
    """Whether its package's `.krmignore` excludes path (a directory: with its contents)."""
    package, rules = scope
    if rules is None:
        return False
    relative = os.path.relpath(path, package).replace(os.sep, "/")
    return bool(rules.match_file(relative + ("/" if is_directory else "")))


def read(inputs: list[tuple[str, str]]) -> Source:
    """Documents from (path, text) pairs; InputError for bad YAML or a repeated identity."""
    source = Source()
    seen: dict[tuple[str, str, str, str], str] = {}
    for path, text in inputs:
        source.files.append(path)
        if "\r\n" in text and text.count("\r\n") == text.count("\n"):
            source.crlf.add(path)  # read as LF, written back as CRLF: the same bytes where kept
            text = text.replace("\r\n", "\n")
        for index, piece in enumerate(split_documents(text)):
            styles: yamlio.Styles = []
            resource = yamlio.load(piece, path, styles)  # None: comments only (a header), kept
            document = Document(
                path, index, piece, resource, yamlio.clone(resource), styles[0] if styles else {}
            )
            if isinstance(resource, dict):
                meta = (
                    resource.get("metadata") if isinstance(resource.get("metadata"), dict) else {}
                )
                identity = (
                    str(resource.get("apiVersion")),
                    str(resource.get("kind")),
                    str((meta or {}).get("namespace") or ""),
                    str((meta or {}).get("name")),
                )
                if identity in seen and identity[3] != "None":
                    raise yamlio.InputError(
                        f"{identity[1]}/{identity[3]} is in {seen[identity]} and again in {path}; "
                        "two resources with one identity would overwrite each other"
                    )
                seen[identity] = path
            source.documents.append(document)
    return source


def render(document: Document) -> str:
    """A document as it should be written: its own text if krm-fn left it as it was.

    A changed document keeps its leading comments and `---` line, the quotes, block scalars and
    flow collections of every value that is still what was read, the indentation of its
    sequences and the comments inside it at their fields (comments.py).
    """
    if document.resource is None or yamlio.same(document.resource, document.original):
        return document.text
    from krm_fn.manifests.splice import splice  # what did not change, as it was written

    spliced = splice(document.text, document.original, document.resource)
    if spliced is not None:
        return spliced
    from krm_fn.manifests.comments import carry  # else: comments, sequences indented as they were

    body = carry(document.text, yamlio.dump(document.resource, document.styles), document.resource)
    return _header(document.text) + body


def _header(text: str) -> str:
    """The `---` line, comments and blank lines a document's text starts with."""
    end = 0
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped and not stripped.startswith("#") and not BARE_DOCUMENT_START.match(stripped):
            break
        end += len(line)
    return text[:end]


def rendered_files(source: Source, added: list[Any], removed: set[int]) -> dict[str, str]:
    """The new text of each file: its documents (new ones after the workload they belong to)."""
    texts: dict[str, list[str]] = {path: [] for path in source.files}
    for document in source.documents:
        if id(document.resource) not in removed:
            texts[document.path].append(render(document))
    for resource, path in added:
        pieces = texts.setdefault(path, [])
        if pieces and not pieces[-1].endswith("\n"):
            pieces[-1] += "\n"
        pieces.append(("---\n" if pieces else "") + yamlio.dump(resource))
    files = {path: "".join(joined(pieces)) for path, pieces in texts.items()}
    for path in source.crlf & set(files):
        files[path] = files[path].replace("\n", "\r\n")
    return files


def joined(pieces: list[str]) -> list[str]:
    """Documents one after the other, a `---` line between two that have none."""
    out: list[str] = []
    for index, piece in enumerate(pieces):
        if index and not piece.startswith("---"):
            if not out[-1].endswith("\n"):
                out[-1] += "\n"
            piece = "---\n" + piece
        out.append(piece)
    return out
