"""``fota-conformance rules [ID|FAMILY…]``: the behaviour rules, as docs/rules.md shows them.

docs/rules.md *is* ``fota-conformance rules --format markdown``: the rule tables of the code
(conformance.spec.rules, and any further table in TABLES) rendered with the checks that enforce each
rule. A test keeps the committed file equal to this output, so the two cannot drift; after changing a
rule or a check, regenerate it with ``fota-conformance rules --format markdown > docs/rules.md``.
"""

from __future__ import annotations

import argparse
import json
import re
import textwrap
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance.cli._common import EXIT_OK, UsageError
from conformance.spec.client_rules import CLIENT_FAMILY_TEXT, CLIENT_INTRO, CLIENT_RULES
from conformance.spec.rules import FAMILY_TEXT, LEVELS, RULES, TERMS, Rule, doc_ref

__all__ = ["TABLES", "RuleTable", "register", "render_markdown", "render_text", "select"]

#: (check name, what it does) for every check that names a rule, keyed by rule ID.
Enforcers = Mapping[str, list[tuple[str, str]]]


def _server_checks() -> Enforcers:
    from conformance.suite.registry import FAMILIES, load_checks

    def order(name: str) -> tuple[int, int]:
        # The registry's order is import order, which depends on who imported what first: sort by the
        # runner's family order, then by place in the module, so that docs/rules.md is stable.
        module = name.split(".", 1)[0]
        spec = load_checks()[name]
        return (FAMILIES.index(module) if module in FAMILIES else len(FAMILIES), spec.func.__code__.co_firstlineno)

    from conformance.suite.toolkit import UNIVERSAL_RULES

    out: dict[str, list[tuple[str, str]]] = {}
    for rule_id in UNIVERSAL_RULES:
        # Not a registered check: the one path every request takes judges these on every answer.
        out[rule_id] = [("toolkit.Calls", "Judges every answer any check receives, once, as it arrives.")]
    for spec in (load_checks()[name] for name in sorted(load_checks(), key=order)):
        # The docstring's first paragraph, in one line: CheckSpec.doc stops at the first line break.
        summary = " ".join((spec.func.__doc__ or "").strip().split("\n\n")[0].split())
        for rule_id in spec.rules:
            out.setdefault(rule_id, []).append((spec.name, summary))
    return out


@dataclass(frozen=True)
class RuleTable:
    """One table of rules: a section of docs/rules.md, with its own families and checks."""

    title: str
    intro: str
    rules: Mapping[str, Rule]
    checks: Callable[[], Enforcers]
    #: family → (title, what it covers); a family missing here is shown by its ID alone.
    families: Mapping[str, tuple[str, str]] = field(default_factory=dict)


def _client_checks() -> Enforcers:
    from conformance.client._checks import enforcers

    return enforcers()


#: The tables docs/rules.md and this command show, in order. Another table is one more entry here.
TABLES: tuple[RuleTable, ...] = (
    RuleTable("Server rules",
              "What an implementation of the API — a real service or a simulator — must do. "
              "`fota-conformance run` judges a target by these rules.",
              RULES, _server_checks, FAMILY_TEXT),
    RuleTable("Client rules", CLIENT_INTRO, CLIENT_RULES, _client_checks, CLIENT_FAMILY_TEXT),
)


def register(sub: Any) -> None:
    rules = sub.add_parser("rules", help="print the behaviour rules (all, a family, or one) and their checks",
                           description="Print the behaviour rules the suite enforces: level, full text, the "
                                       "evidence the suite looks for, the allowed branches and the checks "
                                       "that enforce each. The same text as docs/rules.md.")
    rules.add_argument("selection", nargs="*", metavar="ID|FAMILY",
                       help="rule IDs (PUT-04) or families (PUT); default: every rule")
    rules.add_argument("--format", choices=("text", "markdown", "json"), default="text",
                       help="markdown without a selection is docs/rules.md itself")
    rules.set_defaults(handler=_cmd_rules)


def _cmd_rules(args: argparse.Namespace) -> int:
    chosen = select(args.selection)
    if args.format == "json":
        print(json.dumps([_as_json(t, r) for t, r in chosen], indent=2, ensure_ascii=False))
    elif args.format == "markdown":
        print(render_markdown(None if not args.selection else chosen), end="")
    else:
        print(render_text(chosen, preamble=not args.selection), end="")
    return EXIT_OK


def select(selection: Iterable[str]) -> list[tuple[RuleTable, Rule]]:
    """The rules named by IDs or families (any case), in table order; every rule when none is named.
    An unknown name is a UsageError (exit 2) that lists what is known."""
    wanted = [s.strip().upper() for item in selection for s in item.split(",") if s.strip()]
    everything = [(t, r) for t in TABLES for r in t.rules.values()]
    if not wanted:
        return everything
    families = list(dict.fromkeys(r.family for _, r in everything))
    unknown = [w for w in wanted if w not in families and not any(r.id == w for _, r in everything)]
    if unknown:
        raise UsageError(f"unknown rule or family {unknown[0]!r} (families: {', '.join(families)}; "
                         f"rules look like PUT-04)")
    return [(t, r) for t, r in everything if r.id in wanted or r.family in wanted]


# --- Markdown: docs/rules.md -----------------------------------------------------------------------

_HEADER = """\
# The behaviour rules

<!-- Generated from conformance/spec/rules.py by `fota-conformance rules --format markdown`; do not edit
     by hand: change the rule table (or a check) and regenerate. tests/test_docs.py compares the two. -->

Every rule the conformance suite enforces, with its ID and level, its full text, the evidence the suite
looks for, every behaviour it allows, and the checks that enforce it. Every check names the rules it
enforces, every report lists every rule by ID, and each report line points to the rule's section here
(`docs/rules.md#put-04`). `fota-conformance rules PUT-04` prints the same text in a terminal.

Where the vendor is silent or contradicts itself, the rules allow every reading that a correct
implementation could take (see "Allowed branches"): a suite that flags a correct implementation is as
broken as one that misses a faulty one. [vendor-facts.md](vendor-facts.md) says where each fact of
`openapi.yaml` comes from; [simulator-contract.md](simulator-contract.md) is the control plane, the world
format and the lifecycle timing that the SIM rules refer to.
"""


def render_markdown(chosen: list[tuple[RuleTable, Rule]] | None = None) -> str:
    """docs/rules.md (``chosen`` None), or the sections of the chosen rules only."""
    out: list[str] = []
    if chosen is None:
        out += [_HEADER, "## Levels", ""]
        out += [f"- **{level}** — {meaning}" for level, meaning in LEVELS.items()]
        out += ["", "## Terms", ""]
        out += [f"- **{term}**: {meaning}" for term, meaning in TERMS]
        out += ["", "## All rules", "", "| rule | level | title |", "| --- | --- | --- |"]
        out += [f"| [{r.id}](#{r.id.lower()}) | {r.level} | {_cell(r.title)} |" for t in TABLES
                for r in t.rules.values()]
        out.append("")
        for table in TABLES:
            out += [f"## {table.title}", "", table.intro, ""]
            enforcers = table.checks()
            for family in dict.fromkeys(r.family for r in table.rules.values()):
                name, about = table.families.get(family, ("", ""))
                out += [f"### {family}{' — ' + name if name else ''}", ""]
                if about:
                    out += [about, ""]
                for r in table.rules.values():
                    if r.family == family:
                        out += _markdown_rule(r, enforcers.get(r.id, []))
    else:
        cache: dict[int, Enforcers] = {}
        for table, r in chosen:
            enforcers = cache.setdefault(id(table), table.checks())
            out += _markdown_rule(r, enforcers.get(r.id, []))
    return "\n".join(out).rstrip("\n") + "\n"


def _md(text: str) -> str:
    """A plain-text title in Markdown: `*/*` must not turn into emphasis."""
    return text.replace("*", "\\*")


def _cell(text: str) -> str:
    return _md(text).replace("|", "\\|")


def _markdown_rule(r: Rule, checks: list[tuple[str, str]]) -> list[str]:
    out = [f"#### {r.id}", "", f"**{r.level}** — {_md(r.title)}", "", r.text, ""]
    if r.evidence:
        out += [f"**Evidence.** {r.evidence}", ""]
    if r.branches:
        out += ["**Allowed branches** (the report's `branch` names the one the target took):", ""]
        out += [f"- `{name}` — {meaning}" for name, meaning in r.branches]
        out.append("")
    if checks:
        out += ["**Checks.**", ""]
        out += [f"- `{name}` — {summary}" for name, summary in checks]
        out.append("")
    else:
        out += ["**Checks.** none yet.", ""]
    return out


# --- plain text: the terminal ------------------------------------------------------------------------


_LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")


def _plain(text: str) -> str:
    """Markdown emphasis and code marks off, links as the repository path they point to."""
    text = _LINK.sub(lambda m: m.group(2) if "://" in m.group(2) else f"docs/{m.group(2)}", text)
    return text.replace("**", "").replace("`", "")


def _wrap(label: str, text: str, width: int) -> list[str]:
    return textwrap.wrap(_plain(text), width, initial_indent=f"  {label}", subsequent_indent="    ") or [label]


def render_text(chosen: list[tuple[RuleTable, Rule]], *, preamble: bool = False, width: int = 100) -> str:
    out: list[str] = []
    if preamble:
        out += [f"{level:<6} {_plain(meaning)}" for level, meaning in LEVELS.items()]
        out += ["", "Terms:"]
        for term, meaning in TERMS:
            out += textwrap.wrap(_plain(f"{term}: {meaning}"), width, initial_indent="  ", subsequent_indent="    ")
        out.append("")
    cache: dict[int, Enforcers] = {}
    for table, r in chosen:
        enforcers = cache.setdefault(id(table), table.checks())
        out.append(f"{r.id}  {r.level}  {_plain(r.title)}")
        out += _wrap("", r.text, width)
        if r.evidence:
            out += _wrap("Evidence: ", r.evidence, width)
        for name, meaning in r.branches:
            out += _wrap(f"Branch {name!r}: ", meaning, width)
        checks = enforcers.get(r.id, [])
        out.append("  Checks:" if checks else "  Checks: none yet")
        for name, summary in checks:
            out += textwrap.wrap(_plain(f"{name} — {summary}"), width, initial_indent="    - ",
                                 subsequent_indent="      ")
        out += [f"  More: {doc_ref(r.id)}", ""]
    return "\n".join(out)


def _as_json(table: RuleTable, r: Rule) -> dict[str, Any]:
    return {"id": r.id, "level": str(r.level), "family": r.family, "title": r.title, "text": r.text,
            "evidence": r.evidence, "branches": [{"name": n, "meaning": m} for n, m in r.branches],
            "needs_clock": r.needs_clock, "has_should_part": r.has_should_part, "doc": doc_ref(r.id),
            "checks": [{"name": n, "summary": s} for n, s in table.checks().get(r.id, [])]}
