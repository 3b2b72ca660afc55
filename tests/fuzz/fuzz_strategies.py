"""Hypothesis strategies shared by the fuzz tests: JSON-ish values, and mutations of a valid document
(structural edits of decoded data, character edits of its text)."""

from __future__ import annotations

import copy
from typing import Any, TypeAlias

from hypothesis import strategies as st

Json: TypeAlias = Any
"""A decoded JSON/YAML value: None, bool, int, float, str, list or dict (any depth)."""
Path: TypeAlias = tuple[str | int, ...]

# Values that break parsers more often than random ones: wrong types, edge numbers (json.dumps writes
# ``Infinity``/``NaN``, Python's json reads them back), integers past 64 bits.
AWKWARD: tuple[Json, ...] = (
    None,
    True,
    False,
    0,
    -1,
    1,
    2**63,
    10**40,
    1.5,
    -0.0,
    1e308,
    float("inf"),
    float("-inf"),
    float("nan"),
    "",
    " ",
    "0",
    "-1",
    "1e400",
    "\x00",
    "\ud800",
    "²",
    "x" * 300,
    [],
    {},
    [None],
    {"": None},
)

scalars: st.SearchStrategy[Json] = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(AWKWARD)
)

json_values: st.SearchStrategy[Json] = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


def paths(node: Json, prefix: Path = ()) -> list[Path]:
    """Every path into ``node`` (the root is the empty path), in document order."""
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += paths(value, (*prefix, index))
    return out


def _at(node: Json, path: Path) -> Json:
    for part in path:
        node = node[part]
    return node


@st.composite
def mutated(draw: st.DrawFn, doc: Json, max_edits: int = 3, keys: tuple[str, ...] = ()) -> Json:
    """``doc`` after 1..max_edits structural edits: replace a value (often by one of another type), drop a
    key or element, add a key (one of ``keys``, the names a parser looks for, or a random one) or duplicate
    an element. Drawn values are copied: sampled ones are shared objects, and a later edit must not change
    them."""
    doc = copy.deepcopy(doc)
    for _ in range(draw(st.integers(1, max_edits))):
        path = draw(st.sampled_from(paths(doc)))
        if not path:
            doc = copy.deepcopy(draw(json_values)) if draw(st.integers(0, 9)) == 0 else doc
            continue
        parent, last = _at(doc, path[:-1]), path[-1]
        action = draw(st.sampled_from(("replace", "replace", "drop", "add", "duplicate")))
        if action == "replace":
            parent[last] = copy.deepcopy(draw(json_values))
        elif action == "drop":
            del parent[last]
        elif action == "add" and isinstance(parent, dict):
            key = draw(st.sampled_from(keys) | st.text(max_size=8)) if keys else draw(st.text(max_size=8))
            parent[key] = copy.deepcopy(draw(json_values))
        elif isinstance(parent, list):
            parent.insert(int(last), copy.deepcopy(parent[int(last)]))
    return doc


@st.composite
def edited_text(draw: st.DrawFn, text: str, max_edits: int = 4) -> str:
    """``text`` after 1..max_edits character edits: delete a run, insert random characters, or replace a
    run (where JSON or YAML syntax is, edits make half-valid documents)."""
    for _ in range(draw(st.integers(1, max_edits))):
        at = draw(st.integers(0, len(text)))
        end = min(len(text), at + draw(st.integers(0, 8)))
        action = draw(st.sampled_from(("delete", "insert", "replace")))
        new = "" if action == "delete" else draw(st.text(min_size=1, max_size=6))
        text = text[:at] + new + (text[end:] if action != "insert" else text[at:])
    return text
