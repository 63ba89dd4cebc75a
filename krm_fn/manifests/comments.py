"""A changed document written as its text was: comments at their fields, sequences indented alike.

Sequences: PyYAML writes a block sequence under a key with its dash at the key's column
("compact"); kubectl and most hand-written manifests indent it by two ("wide"). Each sequence
that was wide is indented again, and new ones follow what most of the document did, as kpt's
kyaml keeps a file's sequence style. Comments:

PyYAML keeps no comments, so a document krm-fn changes is written without them. Here they are
found in the text as read (a `#` outside every scalar, after a space or at a line's start), each
tied to a field by its path: a comment line (and a blank line) to the field that follows it, a
comment at a line's end to the value it follows. Sequence items with a `name` are found by name,
so a container inserted before them does not move their comments. In the new text each goes back
to its field (re-indented as far as the field moved) or, if the field is gone, to the next one
that is still there. The result is read again and must be the new document exactly; otherwise
comments that would change a value (a blank line under a `|+` block, say) are left out.
"""

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from krm_fn.manifests import yamlio
from krm_fn.manifests.yamlio import item_steps, node_name

Path = tuple[Any, ...]
# Line breaks YAML and Python do not agree on: such a text is not worth the risk of a misread
ODD_BREAKS = frozenset("\r\x85\u2028\u2029\x0b\x0c\x1c\x1d\x1e")


@dataclass
class _Layout:
    """Where fields are in a text: entry starts in order, value nodes by path, scalar spans."""

    anchors: list[tuple[Path, int, int]]  # (path, line, column), in document order
    values: dict[Path, yaml.Node]
    covered: dict[int, list[tuple[int, int]]]  # line -> [start, end) columns inside scalars
    watched: frozenset[int]  # the lines whose scalar spans matter: with a `#`, or blank
    first_line: int
    one_line: dict[int, list[Path]] = field(default_factory=dict)  # values on one line, by line
    last_on_line: dict[int, int] = field(default_factory=dict)  # line -> its last anchor's index
    visited: set[int] = field(default_factory=set)  # nodes walked: an alias is walked once
    position: dict[Path, int] = field(default_factory=dict)  # path -> index in anchors


@dataclass
class _Comment:
    text: str  # the comment itself ("" for a blank line), from its `#`
    column: int
    path: Path | None  # the field it belongs to; None: the end of the document
    trailing: bool  # at the end of its value's line
    gap: str = " "  # what separated a trailing comment from its value
    on_key: bool = False  # at the end of a key's line, its value below or a block scalar
    after: bool = False  # a line after the field's value (the end of a block), not before it


# a key, then on the next line a dash indented past it: a wide sequence somewhere (a cheap test)
WIDE = re.compile(r"^( *)[^\s#-][^\n]*:[ \t]*(?:#[^\n]*)?\n\1 +- ", re.M)


def carry(old_text: str, new_text: str, expected: Any) -> str:
    """new_text laid out as old_text: sequences indented alike, comments at their fields.

    What would change a value is left out (the result is read back and compared).
    """
    if ODD_BREAKS.intersection(old_text) or not ("#" in old_text or WIDE.search(old_text)):
        return new_text  # nothing to carry over: PyYAML wrote it as it was written
    old = _layout(old_text, watch="#" in old_text)
    if old is None:
        return new_text
    wide, compact = _sequence_styles(old)
    if wide:
        widened = _widened(new_text, expected, wide, compact)
        new_text = widened if widened is not None else new_text
    if "#" not in old_text:
        return new_text
    return _with_comments(old, new_text, old_text.split("\n"), expected)


def _sequence_styles(layout: _Layout) -> tuple[set[Path], set[Path]]:
    """Block sequences under keys: dash indented past the key, and not.

    "Wide" is how kubectl and most hand-written manifests write them, "compact" how PyYAML does.
    """
    columns = {path: column for path, _, column in layout.anchors}
    wide: set[Path] = set()
    compact: set[Path] = set()
    for path, node in layout.values.items():
        under_a_key = bool(path) and isinstance(path[-1], str)
        if isinstance(node, yaml.SequenceNode) and not node.flow_style and under_a_key:
            (wide if node.start_mark.column > columns[path] else compact).add(path)
    return wide, compact


def _widened(text: str, expected: Any, wide: set[Path], compact: set[Path]) -> str | None:
    """The text with the sequences that were wide (new ones: as most were) indented by two."""
    new = _layout(text, watch=False)
    if new is None:
        return None
    lines = text.split("\n")
    default_wide = len(wide) >= len(compact)
    columns = {path: column for path, _, column in new.anchors}
    shift = [0] * (len(lines) + 1)
    for path, node in new.values.items():
        if (
            isinstance(node, yaml.SequenceNode)
            and not node.flow_style
            and path
            and isinstance(path[-1], str)
            and node.start_mark.column == columns[path]
            and (path in wide or (path not in compact and default_wide))
        ):  # every line from its first dash to its end moves by two
            shift[node.start_mark.line] += 2
            shift[_line_after(node, lines)] -= 2
    out, depth = [], 0
    for number, line in enumerate(lines):
        depth += shift[number]
        out.append(" " * depth + line if line.strip() else line)
    widened = "\n".join(out)
    return widened if _reads_as(widened, expected) else None


def widen(text: str, expected: Any) -> str | None:
    """PyYAML's text with every sequence under a key indented by two, as kubectl writes them."""
    return _widened(text, expected, set(), set())


def _line_after(node: yaml.Node, lines: list[str]) -> int:
    """The first line after a node: its end mark is where what follows it starts."""
    end = node.end_mark
    before = lines[end.line][: end.column] if end.line < len(lines) else ""
    return end.line if not before.strip() else end.line + 1


def _with_comments(old: _Layout, new_text: str, old_lines: list[str], expected: Any) -> str:
    """new_text with the comments of the old text inside the document, if they change no value."""
    new = _layout(new_text, watch=False)
    if new is None:
        return new_text
    comments = _comments(old_lines, old)
    for kept in (comments, [c for c in comments if c.text]):  # then without the blank lines
        if not kept:
            return new_text
        text = _placed(new_text, kept, old, new)
        if _reads_as(text, expected):
            return text
    return new_text


def _reads_as(text: str, expected: Any) -> bool:
    """Whether text reads back as exactly the expected document."""
    try:
        return yamlio.same(yamlio.load(text), expected)
    except yamlio.InputError:
        return False


def _layout(text: str, watch: bool) -> _Layout | None:
    """Where the fields of a text are; with watch, which columns of commented lines are values.

    None for an empty document, or one PyYAML does not read.
    """
    try:
        root = yaml.compose(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return None
    if root is None:
        return None
    watched = frozenset(
        number
        for number, line in enumerate(text.split("\n"))
        if watch and ("#" in line or not line.strip())
    )
    layout = _Layout([], {}, {}, watched, root.start_mark.line)
    _walk(root, (), layout, 0)
    layout.anchors.sort(key=lambda anchor: (anchor[1], anchor[2]))
    layout.position = {path: index for index, (path, _, _) in enumerate(layout.anchors)}
    layout.last_on_line = {line: index for index, (_, line, _) in enumerate(layout.anchors)}
    for path, node in layout.values.items():
        if node.start_mark.line == node.end_mark.line:
            layout.one_line.setdefault(node.start_mark.line, []).append(path)
    return layout


def _walk(node: yaml.Node, path: Path, layout: _Layout, depth: int) -> None:
    if depth > 200 or id(node) in layout.visited:
        return
    layout.visited.add(id(node))
    if isinstance(node, yaml.ScalarNode):
        start, end = node.start_mark, node.end_mark
        first = start.line + 1 if node.style in ("|", ">") else start.line  # not its indicator
        if first == end.line and first not in layout.watched:
            return
        for line in layout.watched.intersection(range(first, end.line + 1)):
            left = start.column if line == start.line else 0
            right = end.column if line == end.line else 1 << 30
            layout.covered.setdefault(line, []).append((left, right))
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            _walk(key, path, layout, depth + 1)
            if isinstance(key, yaml.ScalarNode):
                _enter((*path, key.value), key, value, layout, depth)
    elif isinstance(node, yaml.SequenceNode):  # items by name, as styles find them
        steps = item_steps([node_name(item) for item in node.value])
        for step, item in zip(steps, node.value, strict=True):
            _enter((*path, step), item, item, layout, depth)


def _enter(path: Path, start: yaml.Node, value: yaml.Node, layout: _Layout, depth: int) -> None:
    layout.anchors.append((path, start.start_mark.line, start.start_mark.column))
    layout.values[path] = value
    _walk(value, path, layout, depth + 1)


def _comment_column(line: str, number: int, layout: _Layout) -> int | None:
    """Where a line's comment starts: a `#` after a space or at the start, in no scalar."""
    spans = layout.covered.get(number, [])
    start = 0
    while (column := line.find("#", start)) >= 0:
        start = column + 1
        if column and line[column - 1] not in " \t":
            continue
        if not any(left <= column < right for left, right in spans):
            return column
    return None


def _comments(lines: list[str], layout: _Layout) -> list[_Comment]:
    """The comments and blank lines after the document's first line, tied to their fields.

    A comment line belongs to the field after it, unless that field is less indented than the
    comment: then it ends a block, and belongs after the last field as indented as it or less.
    """
    found: list[_Comment] = []
    following = 0  # the first anchor after the current line
    anchors = layout.anchors
    for number, line in enumerate(lines):
        if number < layout.first_line:
            continue  # the header: the caller keeps it
        while following < len(anchors) and anchors[following][1] <= number:
            following += 1
        next_path = anchors[following][0] if following < len(anchors) else None
        if not line.strip():
            if next_path is not None and number not in layout.covered:
                found.append(_Comment("", 0, next_path, False))
            continue
        column = _comment_column(line, number, layout)
        if column is None:
            continue
        text = line[column:]
        if line[:column].strip():
            gap = line[len(line[:column].rstrip()) : column]
            value = _value_ending_on(number, column, layout)
            if value is not None:
                found.append(_Comment(text, column, value, True, gap))
                continue
            if number in layout.last_on_line:  # a key's line: its value below, or `|`
                path, _, key_column = anchors[layout.last_on_line[number]]
                found.append(_Comment(text, key_column, path, True, gap, on_key=True))
                continue
            # the end of a value over several lines: a line of its own before what follows
            column = anchors[following][2] if next_path is not None else 0
        if next_path is not None and anchors[following][2] >= column:
            found.append(_Comment(text, column, next_path, False))
        else:
            ending = _ending(following, column, layout)
            found.append(_Comment(text, column, ending, False, after=ending is not None))
    return found


def _ending(following: int, column: int, layout: _Layout) -> Path | None:
    """The last field before index `following` indented no more than column: the block ending."""
    for index in range(following - 1, -1, -1):
        path, _, anchor_column = layout.anchors[index]
        if anchor_column <= column:
            return path
    return None


def _value_ending_on(line: int, column: int, layout: _Layout) -> Path | None:
    """The outermost value on one line that ends on this line before the column."""
    best: tuple[Path, int] | None = None
    for path in layout.one_line.get(line, []):
        node = layout.values[path]
        if node.end_mark.column <= column and (best is None or node.start_mark.column < best[1]):
            best = (path, node.start_mark.column)
    return best[0] if best else None


def _placed(new_text: str, comments: list[_Comment], old: _Layout, new: _Layout) -> str:
    """new_text with each comment at its field, or the next field that is still there."""
    lines = new_text.split("\n")
    new_anchor = {path: (line, column) for path, line, column in new.anchors}
    old_column = {path: column for path, _, column in old.anchors}
    inserted: dict[int, list[tuple[int, str]]] = {}  # line -> (0 ends a block, 1 leads), text
    trailing: dict[int, str] = {}
    at_end: list[str] = []
    for comment in comments:
        if comment.trailing and comment.path is not None and comment.path in new.values:
            line = _trailing_line(comment, comment.path, lines, new, new_anchor)
            if line is not None and line not in trailing:
                trailing[line] = comment.gap + comment.text
                continue
        path = comment.path
        if comment.after and path in new.values:
            line = _line_after(new.values[path], lines)
            column = new_anchor[path][1]
        else:
            path = _surviving(path, old, new_anchor)
            if path is None:
                at_end.append(comment.text)
                continue
            line, column = new_anchor[path]
        indent = column if comment.trailing else comment.column - old_column[path] + column
        text = " " * max(0, indent) + comment.text if comment.text else ""
        inserted.setdefault(line, []).append((0 if comment.after else 1, text))
    out: list[str] = []
    for number, text in enumerate(lines):
        out += [line for _, line in sorted(inserted.get(number, []), key=lambda i: i[0])]
        out.append(text + trailing.get(number, ""))
    if at_end or len(lines) in inserted:
        while out and out[-1] == "":
            out.pop()
        out += [line for _, line in sorted(inserted.get(len(lines), []), key=lambda i: i[0])]
        out += [*at_end, ""]
    return "\n".join(out)


def _trailing_line(
    comment: _Comment,
    path: Path,
    lines: list[str],
    new: _Layout,
    anchors: dict[Path, tuple[int, int]],
) -> int | None:
    """The line a trailing comment can end in the new text, if its value is laid out alike."""
    node = new.values[path]
    if not comment.on_key:
        line = node.end_mark.line
        rest = lines[line][node.end_mark.column :]
        return line if node.start_mark.line == line and not rest.strip() else None
    line = anchors[path][0]
    if node.start_mark.line > line and lines[line].rstrip().endswith(":"):
        return line  # a collection below its key
    if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
        indicator = lines[line][node.start_mark.column :].rstrip()
        return line if indicator.strip("|>+-0123456789") == "" else None
    return None


def _surviving(
    path: Path | None, old: _Layout, present: dict[Path, tuple[int, int]]
) -> Path | None:
    """The path if the new text has it, else the next one in the old order that it has."""
    if path is None or path in present:
        return path
    index = old.position.get(path)
    if index is None:
        return None
    following = (p for p, _, _ in old.anchors[index + 1 :])
    return next((p for p in following if p in present), None)
