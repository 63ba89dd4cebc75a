"""YAML in and out with libyaml, resolving scalars the way Kubernetes tools (YAML 1.2) do.

libyaml parses and emits in C; PyYAML's generic Python glue between nodes and objects is the
slow part, so plain trees (what Kubernetes YAML is) take a lean path here, and anything unusual
(merge keys, explicit tags, floats) goes through PyYAML's own constructors and representers.
Input is bounded: nesting depth, alias expansion (YAML bombs) and size are limited.
"""

import os
import re
from typing import Any, TypeVar, cast

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from krm_fn.manifests.blockyaml import BlockWriter

STR = "tag:yaml.org,2002:str"
MAP = "tag:yaml.org,2002:map"
SEQ = "tag:yaml.org,2002:seq"
MERGE = "tag:yaml.org,2002:merge"
MAX_DEPTH = 200
# libyaml's composer recurses in C: past ~60,000 levels it overflows the stack. Inputs that could
# nest that deep (many brackets, or very long lines) are checked event by event first.
_SAFE_BRACKETS = _SAFE_LINE = 10_000
MAX_ALIAS_NODES = 100_000
# Nodes a stream may have (10,000 Deployments have about 600,000): past this, composing them all
# takes gigabytes before anything can be checked. Streams under _SAFE_SIZE bytes are not counted.
MAX_NODES = 2_500_000
_SAFE_SIZE = 1_000_000


def max_input_bytes() -> int:
    """The most a run reads, all its input together: KRM_FN_MAX_INPUT_BYTES, else 32 MiB."""
    value = os.environ.get("KRM_FN_MAX_INPUT_BYTES", "")
    return int(value) if value.isdigit() else 32 * 1024 * 1024


_RESOLVE_CACHE_SIZE = 4096
_CACHED_VALUE_LENGTH = 64
Tree = TypeVar("Tree")
# Where a document's text chose a style: path -> ("flow", the collection as read) for flow
# collections, (quote or block style, the string as read) for strings. A dumper given them
# writes what is still the same in the same style.
Styles = list[dict[tuple[Any, ...], tuple[str, Any]]]


class InputError(ValueError):
    """Input that is not the YAML or KRM it should be."""


# Plain scalars as go-yaml v3 (kustomize, kpt, kyaml) resolves them: the YAML 1.2 core schema
# (`true`/`false` in three spellings, `null` and `~`, `.inf` and `.nan`) plus what go-yaml keeps
# of YAML 1.1 (`0755` octal, `0b101`, underscores between digits), a number being an int when
# Go's strconv reads it as one in 64 bits and otherwise a float in YAML's spelling (`1e3`, `08`,
# a number past 64 bits). Not YAML 1.1's base 60 (`12:30` stays a string), `yes`/`no`/`on`/`off`,
# or `=`; dates stay strings too (kubectl reads them so, and kustomize writes them back as read).
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
_GO_INT = re.compile(r"[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)")
_YAML_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
# a number that starts with its dot, as strconv.ParseFloat reads it: underscores between digits
_DOT_FLOAT = re.compile(r"\.[0-9]+(?:_[0-9]+)*(?:[eE][-+]?[0-9]+(?:_[0-9]+)*)?")
_NUMBER_START = frozenset("0123456789+-.")
_INT_RANGE = (-(2**63), 2**63 - 1)
_UINT_MAX = 2**64 - 1
_BASES = {"0x": 16, "0o": 8, "0b": 2}


def go_int(text: str) -> int | None:
    """The int go-yaml reads a plain scalar as (strconv.ParseInt/ParseUint, base 0), or None."""
    plain = text.replace("_", "")
    if not _GO_INT.fullmatch(plain):
        return None
    digits = plain.lstrip("+-")
    base = _BASES.get(digits[:2].lower())
    if base is not None:
        value = int(digits[2:], base)
    elif len(digits) > 1:  # 0755: YAML 1.1's octal, which go-yaml still reads
        value = int(digits, 8 if digits[0] == "0" else 10)
    else:
        value = int(digits)
    value = -value if plain[0] == "-" else value
    low, high = _INT_RANGE
    unsigned = plain[0] not in "+-" and 0 <= value <= _UINT_MAX
    return value if low <= value <= high or unsigned else None


def go_float(text: str) -> float | None:
    """The float go-yaml reads a plain scalar as (YAML's spelling, finite), or None."""
    if text[:1] == ".":  # strconv.ParseFloat as it is
        plain = text.replace("_", "") if _DOT_FLOAT.fullmatch(text) else ""
    else:
        plain = text.replace("_", "")
        plain = plain if _YAML_FLOAT.fullmatch(plain) else ""
    value = float(plain) if plain else None
    return value if value not in (None, float("inf"), float("-inf")) else None  # past 64 bits


def _number_tag(value: str) -> str | None:
    """INT or FLOAT for a plain scalar that go-yaml reads as a number, else None."""
    if value[:1] not in _NUMBER_START:
        return None
    if value[0] != "." and go_int(value) is not None:
        return INT
    return FLOAT if go_float(value) is not None else None


class _CachedResolver:
    """Remembers how short scalars resolve: manifests repeat the same keys and values."""

    resolve_cache: dict[tuple[str, tuple[bool, bool]], str]

    def resolve(self, kind: type[Node], value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is not ScalarNode or len(value) > _CACHED_VALUE_LENGTH:
            return self._resolve(kind, value, implicit)
        key = (value, implicit)
        tag = self.resolve_cache.get(key)
        if tag is None:
            tag = self._resolve(kind, value, implicit)
            if len(self.resolve_cache) < _RESOLVE_CACHE_SIZE:
                self.resolve_cache[key] = tag
        return tag

    def _resolve(self, kind: type[Node], value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode and implicit[0]:
            number = _number_tag(value)
            if number is not None:
                return number
        return super().resolve(kind, value, implicit)  # type: ignore[misc, no-any-return]


class Loader(_CachedResolver, yaml.CSafeLoader):
    """libyaml loader that resolves plain scalars as go-yaml v3 does (kustomize, kpt)."""

    resolve_cache = {}

    styles: "Styles | None" = None  # when set: where the text used quotes or flow style

    def construct_document(self, node: Node) -> Any:
        """Build a document as fresh dicts and lists, aliases expanded within a bound."""
        self._seen: set[int] = set()
        self._alias_nodes = 0
        if self.styles is not None:
            self.styles.append({})
        try:
            return self._build(node, 0, False, () if self.styles is not None else None)
        finally:
            self._seen = set()

    def _build(self, node: Node, depth: int, aliased: bool, path: Any) -> Any:
        """`path` is None where styles are not kept, else (parent's path, key) from the root ()."""
        kind = type(node)
        if kind is ScalarNode:
            if aliased:
                self._count_alias_node(node)
            if node.tag == STR:
                if path is not None and getattr(node, "style", None):
                    self._keep_style(path, str(node.style), node.value)  # type: ignore[attr-defined]
                return node.value
            constructor = self.yaml_constructors.get(node.tag)
            return constructor(self, node) if constructor else self.construct_object(node)
        if depth >= MAX_DEPTH:
            raise InputError(f"nested deeper than {MAX_DEPTH} levels{_where(node)}")
        if id(node) in self._seen:
            aliased = True
        self._seen.add(id(node))
        if aliased:
            self._count_alias_node(node)
        if kind is SequenceNode and node.tag == SEQ:
            steps = item_steps([node_name(child) for child in node.value])
            built = [
                self._build(child, depth + 1, aliased, None if path is None else (path, step))
                for step, child in zip(steps, node.value, strict=True)
            ]
            if path is not None and getattr(node, "flow_style", False):
                self._keep_style(path, "flow", clone(built))
            return built
        if isinstance(node, MappingNode) and node.tag == MAP:
            mapping: dict[Any, Any] = {}
            merged: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if type(key_node) is not ScalarNode:
                    raise InputError(f"a mapping key is not a scalar{_where(key_node)}")
                if key_node.tag == MERGE:
                    self._merge(value_node, merged, depth)
                    continue
                key = self._build(key_node, depth + 1, aliased, None)
                if key in mapping:
                    raise InputError(f"duplicate key {key!r}{_where(key_node)}")
                mapping[key] = self._build(
                    value_node, depth + 1, aliased, None if path is None else (path, key)
                )
            if merged:  # merged keys first, as PyYAML and kubectl order them; own keys win
                mapping = {**{k: v for k, v in merged.items() if k not in mapping}, **mapping}
            if path is not None and getattr(node, "flow_style", False):
                self._keep_style(path, "flow", clone(mapping))
            return mapping
        return self.construct_object(node, deep=True)  # !!set, !!omap, unknown tags: PyYAML's way

    def _keep_style(self, path: Any, style: str, value: Any) -> None:
        keys = []
        while path:
            path, key = path
            keys.append(key)
        assert self.styles is not None
        self.styles[-1][tuple(reversed(keys))] = (style, value)

    def _merge(self, node: Node, into: dict[Any, Any], depth: int) -> None:
        """The mappings of a merge key (`<<: *a` or `<<: [*a, *b]`); earlier ones win.

        Merged content counts as alias expansion, so a merge-key bomb meets the same bound.
        """
        sources = node.value if isinstance(node, SequenceNode) else [node]
        for source in sources:
            if not isinstance(source, MappingNode):
                raise InputError(f"a merge key (<<) needs mappings{_where(source)}")
            built = self._build(source, depth + 1, True, None)
            for key, value in built.items():
                into.setdefault(key, value)

    def _count_alias_node(self, node: Node) -> None:
        self._alias_nodes += 1
        if self._alias_nodes > MAX_ALIAS_NODES:
            raise InputError(
                f"YAML aliases expand to more than {MAX_ALIAS_NODES} nodes{_where(node)};"
                " refusing what looks like a YAML bomb"
            )


def _where(node: Node) -> str:
    return _at(node.start_mark)


def _at(mark: Any) -> str:
    return f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""


# Plain scalars that PyYAML reads as strings but other resolvers do not: YAML 1.1's one-letter
# booleans, and what go-yaml (kubectl, kustomize, kpt) reads as a number or a time after
# dropping underscores: Go's integer syntax (0x, 0o, 0b, a leading 0 for octal), YAML-style
# floats without a dot (`1e3`, `08`), dates with one-digit months or days.
_READ_AS_OTHER = re.compile(
    r"""^(?:[yYnN]
    |[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+
    |(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)
    |[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt\s].*)?)$""",
    re.X | re.S,
)
OTHER = "tag:krm-fn.dev,2026:read-as-other"


_FIRST = frozenset("yYnN+-.0123456789")


class Dumper(yaml.CSafeDumper):
    """libyaml dumper: multi-line strings as literal blocks, ambiguous strings quoted."""

    plain_cache: dict[str, str] = {}
    styles: dict[tuple[Any, ...], tuple[str, Any]] = {}  # of the document being written

    def resolve(self, kind: type[Node], value: Any, implicit: tuple[bool, bool]) -> str:
        """The tag a plain scalar would be read as; strings others read otherwise get OTHER.

        The emitter writes a string plainly only when it resolves back to a string, so these
        are quoted: `"y"` stays a string for kubectl, where a plain `y` would be `true`. The
        emitter asks twice per scalar; the quoted form always reads as a string.
        """
        if kind is not ScalarNode:
            return super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call, no-any-return]
        if not implicit[0]:
            return STR
        tag = self.plain_cache.get(value)
        if tag is None:
            tag = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
            ambiguous = tag == STR and value and value[0] in _FIRST
            if ambiguous and _READ_AS_OTHER.match(value.replace("_", "")):
                tag = OTHER
            if len(value) <= _CACHED_VALUE_LENGTH and len(self.plain_cache) < _RESOLVE_CACHE_SIZE:
                self.plain_cache[value] = tag
        return str(tag)

    def represent(self, data: Any) -> None:
        """Serialise one document: plain types directly, the rest PyYAML's way."""
        if self.styles:
            self.serialize(self._styled(data, 0, ()))
        else:
            self.serialize(self._node(data, 0))
        self.represented_objects = {}
        self.object_keeper = []
        self.alias_key = None

    def _node(self, data: Any, depth: int) -> Node:
        kind = type(data)
        if kind is str:
            return ScalarNode(STR, data, style=_block_style(data))
        if kind is dict or kind is list:
            if depth >= MAX_DEPTH:
                raise ValueError(f"output nested deeper than {MAX_DEPTH} levels")
            if kind is dict:
                pairs = [(self._node(k, depth), self._node(v, depth + 1)) for k, v in data.items()]
                return MappingNode(MAP, pairs, flow_style=False)
            return SequenceNode(SEQ, [self._node(v, depth + 1) for v in data], flow_style=False)
        if kind is int:
            return ScalarNode("tag:yaml.org,2002:int", str(data))
        if kind is bool:
            return ScalarNode("tag:yaml.org,2002:bool", "true" if data else "false")
        if data is None:
            return ScalarNode("tag:yaml.org,2002:null", "null")
        return self.represent_data(data)

    def _styled(self, data: Any, depth: int, path: tuple[Any, ...]) -> Node:
        """Like _node, in the style the text had where the value is still what was read."""
        kind = type(data)
        recorded = self.styles.get(path)
        if kind is str:
            if recorded and recorded[0] != "flow" and recorded[1] == data:
                return ScalarNode(STR, data, style=recorded[0])
            return ScalarNode(STR, data, style=_block_style(data))
        if kind is not dict and kind is not list:
            return self._node(data, depth)
        if depth >= MAX_DEPTH:
            raise ValueError(f"output nested deeper than {MAX_DEPTH} levels")
        flow = bool(recorded and recorded[0] == "flow" and same(recorded[1], data))
        if kind is dict:
            pairs = [
                (self._node(k, depth), self._styled(v, depth + 1, (*path, k)))
                for k, v in data.items()
            ]
            return MappingNode(MAP, pairs, flow_style=flow)
        steps = item_steps([_data_name(v) for v in data])
        items = [self._styled(v, depth + 1, (*path, s)) for s, v in zip(steps, data, strict=True)]
        return SequenceNode(SEQ, items, flow_style=flow)


def item_steps(names: list[str | None]) -> list[Any]:
    """How styles find a list's items: by `name` where it is a unique string, else by position.

    So a container krm-fn puts in front of the app's does not take the app's quotes away.
    """
    seen: set[str] = set()
    duplicated: set[str] = set()
    for name in names:
        if name is not None:
            (duplicated if name in seen else seen).add(name)
    return [
        ("name", name) if name is not None and name not in duplicated else index
        for index, name in enumerate(names)
    ]


def node_name(node: Node) -> str | None:
    """The `name` of a mapping node, when it is a string."""
    if type(node) is MappingNode:
        for key, value in node.value:
            if key.value == "name" and type(value) is ScalarNode and value.tag == STR:
                return str(value.value)
    return None


def _data_name(value: Any) -> str | None:
    name = value.get("name") if type(value) is dict else None
    return name if type(name) is str else None


def _go_yaml_resolvers() -> dict[Any, Any]:
    """The regex resolvers for what is not a number (numbers: `_number_tag`)."""
    words = [
        ("tag:yaml.org,2002:bool", "tTfF", r"^(?:true|True|TRUE|false|False|FALSE)$"),
        ("tag:yaml.org,2002:null", "~nN", r"^(?:~|null|Null|NULL|)$"),
        (FLOAT, ".+-", r"^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
        (MERGE, "<", r"^<<$"),
    ]
    resolvers: dict[Any, Any] = {"": [("tag:yaml.org,2002:null", re.compile(r"^$"))]}
    for tag, firsts, pattern in words:
        for first in firsts:
            resolvers.setdefault(first, []).append((tag, re.compile(pattern)))
    return resolvers


def _construct_int(loader: yaml.BaseLoader, node: ScalarNode) -> int:
    value = go_int(str(node.value))
    assert value is not None  # resolved as INT: it is one
    return value


def _construct_float(loader: yaml.BaseLoader, node: ScalarNode) -> float:
    text = str(node.value)
    special = {".inf": float("inf"), ".nan": float("nan")}.get(text.lstrip("+-").lower())
    if special is not None:
        return -special if text.startswith("-") else special
    value = go_float(text)
    if value is None:  # an explicit !!float tag on something else: as go-yaml, an error
        raise yaml.constructor.ConstructorError(
            None, None, f"cannot read {text!r} as a float", node.start_mark
        )
    return value


Loader.yaml_implicit_resolvers = _go_yaml_resolvers()
Loader.add_constructor(INT, _construct_int)
Loader.add_constructor(FLOAT, _construct_float)


def _block_style(value: str) -> str | None:
    return "|" if "\n" in value else None


def _represent_str(dumper: Dumper, value: str) -> yaml.Node:
    return dumper.represent_scalar(STR, value, style=_block_style(value))


Dumper.add_representer(str, _represent_str)


def load_all(text: str, source: str = "input", styles: Styles | None = None) -> list[Any]:
    """Parse a YAML stream into documents, dropping empty ones.

    With `styles`, a list, it gets one entry per document kept: where its text used quotes,
    block scalars or flow style (for `dump` to write them the same way).
    """
    if len(text) > _SAFE_SIZE and _nodes_at_most(text) > MAX_NODES:
        raise InputError(
            f"{source} holds more than {MAX_NODES:,} YAML nodes (keys, list entries and "
            "collections): split it into several runs"
        )
    try:
        if _may_nest_deeply(text):
            _check_depth(text)
        if styles is None:
            return [doc for doc in yaml.load_all(text, Loader=Loader) if doc is not None]
        found: Styles = []
        loader = type("StyleKeepingLoader", (Loader,), {"styles": found})
        documents = []
        for document in yaml.load_all(text, Loader=loader):
            if document is not None:
                documents.append(document)
                styles.append(found[-1])
        return documents
    except yaml.YAMLError as err:
        where = (
            _one_line(err).replace('"<unicode string>"', source).replace('"<byte string>"', source)
        )
        raise InputError(f"{source} is not valid YAML: {where}") from None
    except InputError as err:
        raise InputError(f"{source}: {err}") from None
    except RecursionError:
        raise InputError(f"{source} is nested too deeply") from None


def _nodes_at_most(text: str) -> int:
    """An upper bound on a stream's nodes, counted before libyaml composes (and holds) them all.

    Every key has a `:`, every block list entry a `- `, every flow collection a bracket, every
    document a `---` (strings count too: never less than there are, for what is composed).
    """
    return (
        text.count(":") + text.count("- ") + text.count("[") + text.count("{") + text.count("---")
    )


def _may_nest_deeply(text: str) -> bool:
    """Whether text could nest past what libyaml's composer survives (a cheap upper bound).

    Flow nesting needs a bracket a level; block nesting needs a column or two a level.
    """
    if len(text) <= _SAFE_LINE:
        return False
    if text.count("[") + text.count("{") > _SAFE_BRACKETS:
        return True
    return max(map(len, text.split("\n"))) > _SAFE_LINE


def _check_depth(text: str) -> None:
    depth = 0
    for event in yaml.parse(text, Loader=Loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise InputError(f"nested deeper than {MAX_DEPTH} levels{_at(event.start_mark)}")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def load(text: str, source: str = "input", styles: Styles | None = None) -> Any:
    """Parse a single YAML document (None when empty)."""
    docs = load_all(text, source, styles)
    if len(docs) > 1:
        raise InputError(f"{source} holds {len(docs)} YAML documents; expected one")
    return docs[0] if docs else None


def libyaml_dump(document: Any) -> str:
    """One document as the dumper writes it, through PyYAML's nodes and libyaml's emitter."""
    return yaml.dump(document, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=10_000)


_BLOCK_WRITER = BlockWriter(libyaml_dump)


def dump(doc: Any, styles: dict[tuple[Any, ...], tuple[str, Any]] | None = None) -> str:
    """Serialise one document (in the styles its text had, where given and still true)."""
    if not styles:
        if type(doc) is dict or type(doc) is list:
            text = _BLOCK_WRITER.write(doc)
            if text is not None:
                return text
        return libyaml_dump(doc)
    Dumper.styles = styles
    try:
        return yaml.dump(doc, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=10_000)
    finally:
        Dumper.styles = {}


StyleMap = dict[tuple[Any, ...], tuple[str, Any]]


def styles_by_part(document: Any, styles: StyleMap) -> dict[int, StyleMap]:
    """A ResourceList's styles by item (and functionConfig): id of the part -> its paths."""
    parts: dict[int, StyleMap] = {}
    items = document.get("items") if isinstance(document, dict) else None
    for path, style in styles.items():
        if path[:1] == ("items",) and len(path) > 1 and isinstance(items, list):
            index = path[1]
            if isinstance(index, int) and index < len(items):
                parts.setdefault(id(items[index]), {})[path[2:]] = style
        elif path[:1] == ("functionConfig",) and isinstance(document, dict):
            parts.setdefault(id(document.get("functionConfig")), {})[path[1:]] = style
    return parts


def dump_resource_list(
    resource_list: dict[str, Any],
    styles: dict[int, dict[tuple[Any, ...], tuple[str, Any]]] | None = None,
) -> str:
    """Serialise a ResourceList like dump(), its items and results one at a time.

    libyaml's emitter slows down per node as the document grows (it indexes every node for
    anchors); a block sequence written entry by entry is the same YAML, 30% sooner at 10,000 items.
    `styles` (by `id` of an item or of the functionConfig, paths within it) keeps the quotes and
    flow styles they were read with.
    """
    styles = styles or {}
    parts = []
    for key, value in resource_list.items():
        if key in ("items", "results") and isinstance(value, list) and value:
            parts.append(f"{key}:\n")
            for entry in value:
                own = styles.get(id(entry))
                parts.append(dump([entry], {(0, *p): s for p, s in own.items()} if own else None))
        else:
            own = styles.get(id(value))
            parts.append(
                dump({key: value}, {(key, *p): s for p, s in own.items()} if own else None)
            )
    if any(part.endswith("\n...\n") for part in parts):  # a piece that ends its document (a
        return dump(resource_list)  # string kept with its trailing newlines): no splicing
    return "".join(parts)


def dump_all(docs: list[Any]) -> str:
    """Serialise documents as one `---`-separated stream."""
    written = [
        _BLOCK_WRITER.write(doc) if type(doc) is dict or type(doc) is list else None for doc in docs
    ]
    if all(text is not None for text in written):
        return "---\n".join(cast(list[str], written))
    return yaml.dump_all(docs, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=10_000)


def clone(value: Tree) -> Tree:
    """A copy of a YAML tree (dicts, lists, scalars); several times faster than deepcopy."""
    return cast(Tree, _clone(value))


def _clone(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        return {key: _clone(item) for key, item in value.items()}
    if kind is list:
        return [_clone(item) for item in value]
    return value


def same(a: Any, b: Any) -> bool:
    """Whether two YAML trees are equal, types included (`1 == True` in Python, not in YAML)."""
    kind = type(a)
    if kind is not type(b):
        return False
    if kind is dict:
        return len(a) == len(b) and all(k in b and same(v, b[k]) for k, v in a.items())
    if kind is list:
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _one_line(err: yaml.YAMLError) -> str:
    return " ".join(str(err).split())
