"""A changed document written as edits of its own text: what krm-fn did not change stays as written.

The text is composed (every node with its place in the text) and walked beside the document as
read and the document as it is now. A node whose value did not change keeps its text exactly:
its comments, blank lines, quotes, flow spacing, odd indentation, folded plain scalars, trailing
spaces. Inside a block mapping or sequence that changed, entries and items are kept, edited,
removed or added one by one (items with a `name` or `mountPath` are matched by it); an entry
that cannot be edited in place is written anew at its indentation, in the document's sequence
style. A scalar changed on one line keeps the rest of its line (a comment after it). The result
is read again and must be the new document exactly; else the caller writes it another way.
"""

import difflib
import json
import re
from typing import Any

import yaml

from krm_fn.manifests import yamlio

Edit = tuple[int, int, str]  # replace text[start:end] with the string
FLOW_PLAIN = re.compile(r"^[A-Za-z0-9_./=@+-]+$")  # in a flow collection: written unquoted


class _Unsupported(Exception):
    """A node that cannot be edited in place: its parent writes it anew."""


def splice(text: str, old: Any, new: Any) -> str | None:
    """The text of `new`, edited from `text` (which reads as `old`); None when it cannot be."""
    try:
        node = yaml.compose(text, Loader=yamlio.Loader)
    except (yaml.YAMLError, yamlio.InputError, RecursionError):
        return None
    if node is None:
        return None
    editor = _Splicer(text, node)
    try:
        editor.value(node, old, new)
    except (_Unsupported, RecursionError):
        return None
    result = editor.apply()
    try:
        again = yamlio.load(result)
    except yamlio.InputError:
        return None
    return result if yamlio.same(again, new) else None


class _Splicer:
    def __init__(self, text: str, root: yaml.Node) -> None:
        self.text = text
        self.edits: list[Edit] = []
        self.seen: set[int] = set()
        self.wide = self._mostly_wide(root)

    # the text -------------------------------------------------------------------------------
    def apply(self) -> str:
        out, position = [], 0
        for start, end, replacement in sorted(self.edits, key=lambda e: (e[0], e[1])):
            if start < position:
                raise _Unsupported  # overlapping edits: never written
            out += [self.text[position:start], replacement]
            position = end
        out.append(self.text[position:])
        return "".join(out)

    def line_start(self, index: int) -> int:
        return self.text.rfind("\n", 0, index) + 1

    def line_end(self, index: int) -> int:
        end = self.text.find("\n", index)
        return len(self.text) if end < 0 else end + 1

    def content_end(self, node: yaml.Node) -> int:
        """Where a node's own text ends (a block collection's end mark is past what follows)."""
        if isinstance(node, yaml.ScalarNode) or getattr(node, "flow_style", False):
            return int(node.end_mark.index)
        if isinstance(node, yaml.MappingNode) and node.value:
            return self.content_end(node.value[-1][1])
        if isinstance(node, yaml.SequenceNode) and node.value:
            return self.content_end(node.value[-1])
        return int(node.end_mark.index)

    # walking ----------------------------------------------------------------------------------
    def value(self, node: yaml.Node, old: Any, new: Any) -> None:
        """Edit `node` (which reads as `old`) into `new`, or raise _Unsupported."""
        if id(node) in self.seen:
            raise _Unsupported  # an alias: its text is elsewhere
        self.seen.add(id(node))
        if yamlio.same(old, new):
            return
        flow = getattr(node, "flow_style", False)
        if flow and (_both(old, new, dict) or _both(old, new, list)):
            self.flow(node, old, new)
        elif isinstance(node, yaml.MappingNode) and not flow and _both(old, new, dict):
            self.mapping(node, old, new)
        elif isinstance(node, yaml.SequenceNode) and not flow and _both(old, new, list):
            self.sequence(node, old, new)
        else:
            raise _Unsupported

    def flow(self, node: yaml.Node, old: Any, new: Any) -> None:
        """A flow collection: the entries kept as written, with what they had between them."""
        mapping = isinstance(old, dict)
        pairs = node.value if mapping else [(None, v) for v in node.value]
        if not pairs or node.start_mark.line != node.end_mark.line:
            self.edits.append((node.start_mark.index, node.end_mark.index, self.flat(new)))
            return
        old_ids, new_ids = (list(old), list(new)) if mapping else _matched(old, new)
        spans = [((k or v).start_mark.index, self.content_end(v)) for k, v in pairs]
        between = [self.text[spans[i][1] : spans[i + 1][0]] for i in range(len(spans) - 1)]
        separator = between[0] if between else ", "
        pieces: list[tuple[int | None, str]] = []  # (old index, text)
        for position, identity in enumerate(new_ids):
            index = old_ids.index(identity) if identity in old_ids else None
            value = new[identity] if mapping else new[position]
            if index is not None and yamlio.same(
                old[old_ids[index]] if mapping else old[index], value
            ):
                pieces.append((index, self.text[spans[index][0] : spans[index][1]]))
                continue
            rendered = (
                self.inline(value, flow=True)
                if not isinstance(value, dict | list)
                else (self.flat(value))
            )
            name = self.inline(identity, flow=True) if mapping else ""
            if rendered is None or name is None:
                raise _Unsupported
            pieces.append((None, f"{name}: {rendered}" if mapping else rendered))
        out = [self.text[node.start_mark.index : spans[0][0]]]
        for number, (index, text) in enumerate(pieces):
            if number:
                previous = pieces[number - 1][0]
                adjacent = index is not None and previous is not None and index == previous + 1
                out.append(between[previous] if adjacent else separator)  # type: ignore[index]
            out.append(text)
        out.append(self.text[spans[-1][1] : node.end_mark.index])
        self.edits.append((node.start_mark.index, node.end_mark.index, "".join(out)))

    def flat(self, value: Any) -> str:
        """A collection in flow style on one line."""
        text = yaml.dump(
            value,
            Dumper=yaml.CSafeDumper,
            default_flow_style=True,
            width=10_000,
            sort_keys=False,
            allow_unicode=True,
        ).rstrip("\n")
        if "\n" in text:
            raise _Unsupported
        return text

    def mapping(self, node: yaml.MappingNode, old: dict[Any, Any], new: dict[Any, Any]) -> None:
        entries = [(k, v) for k, v in node.value]
        keys = [k.value if isinstance(k, yaml.ScalarNode) else None for k, _ in entries]
        if any(k.tag == yamlio.MERGE for k, _ in entries) or list(old) != keys:
            raise _Unsupported  # merge keys, or keys that are not what they read as
        kept = [k for k in new if k in old]
        if kept != [k for k in old if k in new]:
            raise _Unsupported  # reordered
        column = entries[0][0].start_mark.column
        placed: dict[Any, int] = {}  # key -> where its entry ends (new entries go after)
        for key_node, value_node in entries:
            key = key_node.value
            start, end = self.entry_span(key_node, value_node)
            placed[key] = end
            if key not in new:
                if start != self.line_start(key_node.start_mark.index):
                    raise _Unsupported  # the first key of an item, on the dash's line
                self.edits.append((start, end, ""))
            elif not yamlio.same(old[key], new[key]):
                self.entry(key_node, value_node, start, end, key, old[key], new[key], column)
        at = None
        first = entries[0][0]
        for key in new:
            if key in old:
                at = self.past_comments(placed[key], column)
                continue
            fragment = self.render({key: new[key]}, column)
            if at is None:  # before the first entry: only where it starts its own line
                begin = self.line_start(first.start_mark.index)
                if self.text[begin : first.start_mark.index].strip():
                    raise _Unsupported
                self.edits.append((begin, begin, fragment))
            else:
                self.edits.append((at, at, self._after(at, fragment)))

    def entry(
        self,
        key_node: yaml.Node,
        value_node: yaml.Node,
        start: int,
        end: int,
        key: Any,
        old: Any,
        new: Any,
        column: int,
    ) -> None:
        """One entry whose value changed: edited inside, a scalar in place, or written anew."""
        if isinstance(value_node, yaml.ScalarNode) and not isinstance(new, dict | list):
            inline = self.inline(new)
            if inline is not None and value_node.start_mark.line == value_node.end_mark.line:
                self.edits.append((value_node.start_mark.index, value_node.end_mark.index, inline))
                return
        try:
            mark = len(self.edits)
            self.value(value_node, old, new)
            return
        except _Unsupported:
            del self.edits[mark:]
        fragment = self.render({key: new}, column)
        if start == self.line_start(key_node.start_mark.index):
            self.edits.append((start, end, fragment))
        else:  # the first key of an item, after its dash: the first line is not indented
            self.edits.append((start, end, fragment[column:]))

    def entry_span(self, key_node: yaml.Node, value_node: yaml.Node) -> tuple[int, int]:
        """From the key's line (or the key, after a dash) to the end of its value's last line."""
        begin = self.line_start(key_node.start_mark.index)
        start = (
            begin
            if not self.text[begin : key_node.start_mark.index].strip()
            else (key_node.start_mark.index)
        )
        return start, self.line_end(self.content_end(value_node))

    def sequence(self, node: yaml.SequenceNode, old: list[Any], new: list[Any]) -> None:
        items = node.value
        ids_old, ids_new = _matched(old, new)
        common = [i for i in ids_new if i in set(ids_old)]
        if common != [i for i in ids_old if i in set(ids_new)]:
            raise _Unsupported  # reordered
        dashes = [self.dash(item) for item in items]
        column = dashes[0] - self.line_start(dashes[0])
        spans = {}
        for index, item in enumerate(items):
            start = self.line_start(dashes[index])
            spans[ids_old[index]] = (start, self.line_end(self.content_end(item)), item, index)
        for identity, (start, end, item, index) in spans.items():
            if identity not in set(ids_new):
                self.edits.append((start, end, ""))
                continue
            before, after = old[index], new[ids_new.index(identity)]
            if yamlio.same(before, after):
                continue
            mark = len(self.edits)
            try:
                self.value(item, before, after)
            except _Unsupported:
                del self.edits[mark:]
                self.edits.append((start, end, self.render([after], column)))
        at = self.line_start(dashes[0])
        for position, identity in enumerate(ids_new):
            if identity in spans:
                at = self.past_comments(spans[identity][1], column)
                continue
            fragment = self.render([new[position]], column)
            self.edits.append((at, at, self._after(at, fragment)))

    def dash(self, item: yaml.Node) -> int:
        """Where an item's `- ` is; only items that begin their own line are edited."""
        index = item.start_mark.index - 1
        while index >= 0 and self.text[index] in " \t":
            index -= 1
        begin = self.line_start(index)
        if index < 0 or self.text[index] != "-" or self.text[begin:index].strip():
            raise _Unsupported
        return index

    def past_comments(self, at: int, column: int) -> int:
        """Past the comment lines that close a block (at its column or deeper).

        As kpt keeps them: what is added after the block goes after them.
        """
        position = at
        while position < len(self.text):
            end = self.line_end(position)
            line = self.text[position:end]
            stripped = line.strip()
            if stripped.startswith("#") and len(line) - len(line.lstrip(" ")) >= column:
                at = position = end
            elif not stripped:
                position = end  # a blank line: kept before what is added unless comments follow
            else:
                break
        return at

    # writing --------------------------------------------------------------------------------
    def _after(self, at: int, fragment: str) -> str:
        """A fragment inserted at `at`: on a line of its own."""
        if at > 0 and self.text[at - 1] != "\n":
            return "\n" + fragment.rstrip("\n") + ("\n" if at < len(self.text) else "")
        return fragment

    def inline(self, value: Any, flow: bool = False) -> str | None:
        """A scalar as one line of YAML (inside a flow collection: quoted where it must be)."""
        if flow and isinstance(value, str) and not FLOW_PLAIN.match(value):  # as people write
            return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML one
        text = yamlio.dump(value)
        text = text[: -len("...\n")] if text.endswith("\n...\n") else text
        text = text.rstrip("\n")
        return None if "\n" in text else text

    def render(self, value: Any, column: int) -> str:
        """`value` (a one-key mapping or a one-item list) as block YAML at a column."""
        text = yamlio.dump(value)
        if self.wide:
            from krm_fn.manifests.comments import widen

            text = widen(text, value) or text
        pad = " " * column
        return "".join(pad + line if line.strip() else line for line in text.splitlines(True))

    @staticmethod
    def _mostly_wide(root: yaml.Node) -> bool:
        """Whether most block sequences under keys have their dash indented past the key."""
        wide = compact = 0
        stack = [root]
        seen: set[int] = set()
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if isinstance(value, yaml.SequenceNode) and not value.flow_style:
                        if value.start_mark.column > key.start_mark.column:
                            wide += 1
                        else:
                            compact += 1
                    stack.append(value)
            elif isinstance(node, yaml.SequenceNode):
                stack += node.value
        return wide > compact


def _both(old: Any, new: Any, kind: type) -> bool:
    return isinstance(old, kind) and isinstance(new, kind)


def _matched(old: list[Any], new: list[Any]) -> tuple[list[Any], list[Any]]:
    """Identities for the items of two lists, to match them by.

    Names where all items have distinct ones; else equal items matched in order (difflib), and
    each unmatched item an identity of its own.
    """
    ids_old, ids_new = _identities(old), _identities(new)
    if ids_old is not None and ids_new is not None:
        return ids_old, ids_new
    keys_old = [yamlio.dump(item) for item in old]
    keys_new = [yamlio.dump(item) for item in new]
    ids_new = [("new", i) for i in range(len(new))]
    ids_old = [("old", i) for i in range(len(old))]
    matcher = difflib.SequenceMatcher(a=keys_old, b=keys_new, autojunk=False)
    for block in matcher.get_matching_blocks():
        for offset in range(block.size):
            ids_new[block.b + offset] = ids_old[block.a + offset]
    return ids_old, ids_new


def _identities(items: list[Any]) -> list[Any] | None:
    """Each item's `name` (or `mountPath`) when all have a distinct one, else None."""
    ids = [
        item.get("name", item.get("mountPath")) if isinstance(item, dict) else None
        for item in items
    ]
    if None in ids or len(set(ids)) != len(ids):
        return None
    return ids
