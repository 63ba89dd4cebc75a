"""Block YAML written directly, byte for byte what yamlio's libyaml dumper writes.

Most of a dump's time is PyYAML turning every value into a node for the C emitter. For a plain
tree (dicts with string keys, lists, one-line strings, ints, bools, None) the layout of block
YAML is simple, and how each distinct string is written (plain or quoted) is asked of the real
dumper once, for many strings in one call, and remembered. Anything else (a float, a multi-line
or very long string, a key the emitter writes otherwise, deep nesting) makes `write` answer None,
and the caller dumps the document the usual way.
"""

from collections.abc import Callable
from typing import Any

# the emitter folds lines past the dumper's width (10,000): strings on one line this long, at the
# deepest indentation written here, stay well within it (literal blocks are never folded)
_LONGEST = 2_000
_DEEPEST = 100
_BREAKS = frozenset("\n\r\x85\u2028\u2029")  # what libyaml takes for a line break
_CACHE_SIZE = 50_000

# how a string is written: on one line, or a literal block (its first line, then its lines
# without their indentation, "" for an empty one); None: only the full dumper writes it right
Form = str | tuple[str, list[str]] | None
# the real dumper: a document -> its text
Ask = Callable[[Any], str]


class _Unusual(Exception):
    """Something only the full dumper writes right."""


class BlockWriter:
    """Writes plain trees as yamlio's dumper would, asking it how to write new strings."""

    def __init__(self, ask: Ask) -> None:
        self.ask = ask
        self.values: dict[str, Form] = {}
        self.keys: dict[str, Form] = {}

    def write(self, document: dict[str, Any] | list[Any]) -> str | None:
        """The document as block YAML, or None when only the full dumper writes it right."""
        if not document:
            return None  # `{}` or `[]`, flow style
        try:
            new_values: dict[str, None] = {}
            new_keys: dict[str, None] = {}
            self._collect(document, 0, new_values, new_keys)
            self._learn(new_values, self.values, keys=False)
            self._learn(new_keys, self.keys, keys=True)
            out: list[str] = []
            if isinstance(document, dict):
                self._mapping(document, "", "", out)
            else:
                self._sequence(document, "", "", out)
        except _Unusual:
            return None
        return "".join(out)

    def _collect(
        self, value: Any, depth: int, values: dict[str, None], keys: dict[str, None]
    ) -> None:
        """Check the tree is plain, and gather the strings not written before."""
        if depth > _DEEPEST:
            raise _Unusual
        kind = type(value)
        if kind is dict:
            known = self.keys
            for key, item in value.items():
                if type(key) is not str:
                    raise _Unusual
                if key not in known:
                    keys[key] = None
                self._collect(item, depth + 1, values, keys)
        elif kind is list:
            for item in value:
                self._collect(item, depth + 1, values, keys)
        elif kind is str:
            if value not in self.values:
                values[value] = None
        elif kind is not int and kind is not bool and value is not None:
            raise _Unusual

    def _learn(self, new: dict[str, None], forms: dict[str, Form], keys: bool) -> None:
        if not new:
            return
        if len(forms) + len(new) > _CACHE_SIZE:
            forms.clear()
        one_line = [s for s in new if len(s) <= _LONGEST and not _BREAKS.intersection(s)]
        if one_line:
            forms.update(zip(one_line, self._one_line(one_line, keys), strict=True))
        if len(one_line) < len(new):
            if keys:
                raise _Unusual  # a key on several lines, or a long one
            forms.update((s, self._block(s)) for s in new if s not in forms)

    def _one_line(self, strings: list[str], keys: bool) -> list[Form]:
        """How each string is written, asked of the dumper in one document for all."""
        document = dict.fromkeys(strings, 0) if keys else strings
        lines = self.ask(document).split("\n")[:-1]
        if len(lines) != len(strings):  # one of them took more than a line: ask one by one
            return (
                [f for s in strings for f in self._one_line([s], keys)]
                if len(strings) > 1
                else [None]
            )
        if keys:
            return [
                line[:-3] if line.endswith(": 0") and line[:2] != "? " else None for line in lines
            ]
        return [line[2:] if line[:2] == "- " else None for line in lines]

    def _block(self, string: str) -> Form:
        """How a string with line breaks (or a long one) is written."""
        text = self.ask([string])
        if _BREAKS.intersection(text.replace("\n", "")):
            return None  # libyaml breaks lines there too, and indents what follows
        lines = text.split("\n")[:-1]
        first = lines[0][2:]
        if len(lines) == 1:
            return first if len(string) <= _LONGEST else None
        rest = lines[1:]
        if first[:1] != "|" or "+" in first or any(x and x[:2] != "  " for x in rest):
            return None  # keeping trailing line breaks may end the document: the dumper knows
        return first, [x[2:] for x in rest]

    def _scalar(self, value: Any, column: int, out: list[str], lead: str) -> None:
        """`lead` and the value, as the rest of a line; a literal block's lines below it."""
        kind = type(value)
        if kind is str:
            form = self.values[value]
            if form is None:
                raise _Unusual
            if isinstance(form, str):
                out.append(f"{lead}{form}\n")
                return
            first, lines = form
            out.append(f"{lead}{first}\n")
            indent = " " * (column + 2)
            out += [f"{indent}{line}\n" if line else "\n" for line in lines]
        elif kind is bool:
            out.append(f"{lead}true\n" if value else f"{lead}false\n")
        elif kind is int:
            out.append(f"{lead}{value}\n")
        else:
            out.append(f"{lead}null\n")

    def _mapping(self, mapping: dict[str, Any], first: str, indent: str, out: list[str]) -> None:
        """Key after key at `indent`; the first after `first` (a sequence's dash) instead."""
        lead = first
        for key, value in mapping.items():
            form = self.keys[key]
            if type(form) is not str:
                raise _Unusual
            kind = type(value)
            if kind is dict and value:
                out.append(f"{lead}{form}:\n")
                self._mapping(value, indent + "  ", indent + "  ", out)
            elif kind is list and value:
                out.append(f"{lead}{form}:\n")
                self._sequence(value, indent, indent, out)  # block sequences are not indented
            elif kind is dict:
                out.append(f"{lead}{form}: {{}}\n")
            elif kind is list:
                out.append(f"{lead}{form}: []\n")
            else:
                self._scalar(value, len(indent), out, f"{lead}{form}: ")
            lead = indent

    def _sequence(self, sequence: list[Any], first: str, indent: str, out: list[str]) -> None:
        """Entry after entry at `indent`; the first after `first` instead."""
        lead = first
        for value in sequence:
            kind = type(value)
            if kind is dict and value:
                self._mapping(value, lead + "- ", indent + "  ", out)
            elif kind is list and value:
                self._sequence(value, lead + "- ", indent + "  ", out)
            elif kind is dict:
                out.append(f"{lead}- {{}}\n")
            elif kind is list:
                out.append(f"{lead}- []\n")
            else:
                self._scalar(value, len(indent), out, f"{lead}- ")
            lead = indent
