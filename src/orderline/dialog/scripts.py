"""Scripted conversations: YAML files of turns with the expected final order, run non-interactively.

```yaml
conversations:
  - name: combo with a drink choice
    daypart: lunch          # optional
    turns: ["can I get a number one", "large", "coke", "that's it", "yes"]
    expect:
      state: submitted
      lines:
        - {item: number_1, size: large, quantity: 1, modifiers: ["-onions"], slots: {drink: coke}}
        - {item: latte, size: medium, modifiers: ["+vanilla*2"]}   # two pumps; "+vanilla": any count
      total: 12.34           # optional, with tax
      reply_contains: ["pull forward"]   # optional, the last reply
```
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from orderline.core.errors import ScriptError
from orderline.dialog.session import TextSession
from orderline.menu.schema import Menu
from orderline.nlu.base import Understander
from orderline.order.describe import modifier_code
from orderline.order.pricing import totals
from orderline.order.state import DialogState, Order, OrderLine


class ExpectedLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item: str
    quantity: int = 1
    size: str | None = None
    modifiers: list[str] | None = None
    slots: dict[str, str] | None = None


class Expectation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: DialogState | None = None
    lines: list[ExpectedLine] | None = None
    total: float | None = None
    reply_contains: list[str] = Field(default_factory=list)


class Conversation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    daypart: str | None = None
    turns: list[str]
    expect: Expectation
    tags: list[str] = Field(default_factory=list)


class ScriptFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    menu: str | None = None
    conversations: list[Conversation]


class ConversationResult(BaseModel):
    name: str
    passed: bool
    problems: list[str]
    transcript: list[tuple[str, str]]


def load_script(path: Path) -> ScriptFile:
    """Read a conversation script.

    Raises:
        ScriptError: the file is missing, not YAML, or not a valid script.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return ScriptFile.model_validate(data)
    except OSError as exc:
        raise ScriptError(f"{path}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise ScriptError(f"{path}: not valid YAML ({exc})") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ScriptError(f"{path}: {where}: {first['msg']}") from None


def _as_expected(code: str, wanted: list[str]) -> str:
    """ "+vanilla*2" checks against "+vanilla*2"; a script that names no count ("+vanilla") only asks
    that the option is there, however many of it."""
    base, star, _count = code.partition("*")
    return base if star and code not in wanted and base in wanted else code


def _line_problems(n: int, want: ExpectedLine, got: OrderLine) -> list[str]:
    problems: list[str] = []
    if got.item != want.item:
        problems.append(f"line {n}: item {got.item!r}, expected {want.item!r}")
    if got.quantity != want.quantity:
        problems.append(f"line {n}: quantity {got.quantity}, expected {want.quantity}")
    if want.size is not None and got.size != want.size:
        problems.append(f"line {n}: size {got.size!r}, expected {want.size!r}")
    if want.modifiers is not None:
        have = sorted(_as_expected(modifier_code(m), want.modifiers) for m in got.modifiers)
        if have != sorted(want.modifiers):
            problems.append(f"line {n}: modifiers {have}, expected {sorted(want.modifiers)}")
    if want.slots is not None:
        have_slots = {f.slot: f.item for f in got.slots if f.item is not None}
        for slot, item in want.slots.items():
            if have_slots.get(slot) != item:
                problems.append(f"line {n}: slot {slot} is {have_slots.get(slot)!r}, expected {item!r}")
    return problems


def check(order: Order, last_reply: str, expect: Expectation, menu: Menu) -> list[str]:
    """Differences between the final order and what the script expects."""
    problems: list[str] = []
    if expect.state is not None and order.state is not expect.state:
        problems.append(f"state {order.state.value}, expected {expect.state.value}")
    if expect.lines is not None:
        if len(order.lines) != len(expect.lines):
            got = [f"{line.quantity}x {line.item}" for line in order.lines]
            problems.append(f"{len(order.lines)} lines {got}, expected {len(expect.lines)}")
        for n, (want, line) in enumerate(zip(expect.lines, order.lines, strict=False), 1):
            problems.extend(_line_problems(n, want, line))
    if expect.total is not None:
        total = totals(order, menu).total_cents
        if total != round(expect.total * 100):
            problems.append(f"total {total / 100:.2f}, expected {expect.total:.2f}")
    for text in expect.reply_contains:
        if text.lower() not in last_reply.lower():
            problems.append(f"last reply {last_reply!r} does not contain {text!r}")
    return problems


async def run_conversation(
    conversation: Conversation, menu: Menu, understander: Understander
) -> ConversationResult:
    session = TextSession.start(menu, understander, conversation.daypart)
    transcript: list[tuple[str, str]] = []
    reply = ""
    for text in conversation.turns:
        turn = await session.say(text)
        reply = turn.reply
        transcript.append((text, reply))
    problems = check(session.order, reply, conversation.expect, menu)
    return ConversationResult(
        name=conversation.name, passed=not problems, problems=problems, transcript=transcript
    )


async def run_script(
    script: ScriptFile,
    menu: Menu,
    understander: Understander,
    on_result: Callable[[ConversationResult], None] | None = None,
) -> list[ConversationResult]:
    results: list[ConversationResult] = []
    for conversation in script.conversations:
        result = await run_conversation(conversation, menu, understander)
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results
