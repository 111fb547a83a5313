"""The project documents its own contract: docs/rules.md is the rule table of the code, every rule has
a section and every section a rule, nothing a user reads names a document outside the repository,
every link and `docs/…md#anchor` reference resolves, and the simulator contract's examples are true
(its world loads and is consistent; its curl session really runs against the reference simulator)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from conformance.cli import build_parser, main
from conformance.cli.rules import TABLES, render_markdown
from conformance.report.junit import render_junit
from conformance.report.markdown import render_markdown as render_markdown_report
from conformance.report.terminal import render_terminal
from conformance.simulator.server import start
from conformance.spec import load_control
from conformance.spec.rules import RULES, doc_ref
from conformance.spec.world import World

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
RULES_MD = DOCS / "rules.md"
CONTRACT_MD = DOCS / "simulator-contract.md"
REGENERATE = "fota-conformance rules --format markdown > docs/rules.md"


def _markdown_files() -> list[Path]:
    return [ROOT / "README.md", ROOT / "ARCHITECTURE.md", ROOT / "cassettes" / "README.md", *sorted(DOCS.glob("*.md"))]


def _user_read_files() -> list[Path]:
    """README, docs, ARCHITECTURE.md, openapi.yaml, the cassettes' README, and the package sources."""
    package = [p for p in sorted((ROOT / "conformance").rglob("*"))
               if p.suffix in (".py", ".yaml", ".json", ".md") and "__pycache__" not in p.parts]
    return [*_markdown_files(), ROOT / "openapi.yaml", ROOT / "redocly.yaml", *package]


def _help_texts() -> Iterator[tuple[str, str]]:
    parser = build_parser()
    yield "fota-conformance --help", parser.format_help()
    for action in parser._subparsers._group_actions if parser._subparsers else []:
        for name, sub in getattr(action, "choices", {}).items():
            yield f"fota-conformance {name} --help", sub.format_help()


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    anchors, fenced = set(), False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (m := re.match(r"#{1,6} (.+)", line)):
            anchors.add(_slug(m.group(1)))
    return anchors


def _blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```", text, flags=re.S | re.M)


# --- docs/rules.md is the code's rule table ------------------------------------------------------------

def test_rules_md_is_the_generated_one() -> None:
    assert RULES_MD.read_text(encoding="utf-8") == render_markdown(), \
        f"docs/rules.md is out of date: regenerate it with `{REGENERATE}`"


def test_rules_md_does_not_depend_on_which_checks_were_imported_first() -> None:
    code = ("import sys, conformance.suite.checks.stateful, conformance.suite.checks.sim\n"
            "from conformance.cli.rules import render_markdown\nsys.stdout.write(render_markdown())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout == RULES_MD.read_text(encoding="utf-8")


def test_every_rule_has_a_section_and_every_section_a_rule() -> None:
    sections = re.findall(r"^#### ([A-Z]+-\d\d)$", RULES_MD.read_text(encoding="utf-8"), flags=re.M)
    in_code = [r for table in TABLES for r in table.rules]
    assert sorted(sections) == sorted(in_code), "rule IDs differ between the code and docs/rules.md"
    assert set(RULES) <= set(sections)
    anchors = _anchors(RULES_MD)
    for rule_id in in_code:
        path, anchor = doc_ref(rule_id).split("#")
        assert path == "docs/rules.md" and anchor in anchors, rule_id


def test_every_rule_is_written_out() -> None:
    for r in RULES.values():
        assert r.text and r.evidence, f"{r.id} has no text or evidence"
        assert r.has_branches == bool(r.branches), f"{r.id}: has_branches and branches disagree"
        # A rule that needs the clock says so where its evidence is read (LIFE-02 also has a polling part).
        assert not r.needs_clock or "control plane" in r.evidence, f"{r.id}: evidence must say it needs the clock"
        assert r.needs_clock or "control plane's clock: skipped" not in r.evidence, r.id


def test_the_branches_checks_record_are_the_documented_ones() -> None:
    """Every ctx.branch(...) in the checks names a branch its rule documents (f-strings by their prefix)."""
    found = []
    for path in (ROOT / "conformance" / "suite" / "checks").glob("*.py"):
        found += re.findall(r'branch\("([A-Z]+-\d\d)", f?"([^"]+)"\)', path.read_text(encoding="utf-8"))
    assert len(found) >= 10, found
    for rule_id, name in found:
        documented = [n for n, _ in RULES[rule_id].branches]
        literal = name.split("{")[0]
        ok = any(d.startswith(literal) for d in documented) if "{" in name else name in documented
        assert ok, f"{rule_id}: branch {name!r} is not among {documented}"


# --- nothing a user reads names a document outside the repository ----------------------------------------

_OUTSIDE = re.compile(r"\b(?:BEHAVIOR|CONTRACT|FACTS|STYLE)(?:\.md|\b)|shared/|seeds/")


def test_nothing_a_user_reads_names_a_document_outside_the_repository() -> None:
    found = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}" for path in _user_read_files()
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if _OUTSIDE.search(line)]
    found += [f"{where}: {line.strip()}" for where, text in _help_texts()
              for line in text.splitlines() if _OUTSIDE.search(line)]
    assert not found, "\n".join(found)


def test_the_scan_would_catch_an_outside_reference() -> None:
    for text in ("see CONTRACT §1", "BEHAVIOR.md PUT-04", "(FACTS.md 1.2)", "../shared/x", "shared/seeds/x.txt"):
        assert _OUTSIDE.search(text), text
    for text in ("the contract's timing", "docs/rules.md#put-04", "a shared campaign"):
        assert not _OUTSIDE.search(text), text


def test_relative_markdown_links_resolve() -> None:
    broken = []
    for path in _markdown_files():
        for target in re.findall(r"\]\(([^)\s]+)\)", path.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target):
                continue
            file, _, anchor = target.partition("#")
            dest = (path.parent / file).resolve() if file else path
            if not dest.exists():
                broken.append(f"{path.relative_to(ROOT)}: {target} (no such file)")
            elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
                broken.append(f"{path.relative_to(ROOT)}: {target} (no such section)")
    assert not broken, "\n".join(broken)


def test_docs_references_in_sources_and_help_resolve() -> None:
    """`docs/x.md#anchor` in comments, docstrings, openapi.yaml, report texts and help: file and section exist."""
    texts = [(str(p.relative_to(ROOT)), p.read_text(encoding="utf-8")) for p in _user_read_files()]
    texts += list(_help_texts())
    refs = {(where, m.group(1), m.group(2)) for where, text in texts
            for m in re.finditer(r"docs/([\w-]+\.md)(?:#([\w-]+))?", text)}
    assert len(refs) > 20
    bad = [f"{where}: docs/{file}#{anchor}" for where, file, anchor in refs
           if not (DOCS / file).is_file() or (anchor and anchor not in _anchors(DOCS / file))]
    assert not bad, "\n".join(sorted(bad))


def test_readme_links_the_docs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for doc in ("docs/rules.md", "docs/simulator-contract.md", "docs/vendor-facts.md"):
        assert f"]({doc})" in readme, doc


# --- the simulator contract's examples are true ----------------------------------------------------------

def _contract_world() -> dict[str, Any]:
    text = CONTRACT_MD.read_text(encoding="utf-8")
    world = json.loads(_blocks(text.split("## The world", 1)[1], "json")[0])
    assert isinstance(world, dict)
    return world


def test_the_contract_world_is_valid_consistent_and_the_control_yaml_example() -> None:
    data = _contract_world()
    world = World.from_json(data)
    assert world.undescribed_accounts() == []
    assert all(world.account(name) for c in world.credentials for name in c.accounts)
    assert any(not d.reachable for a in world.accounts for d in a.devices)
    examples = load_control()["paths"]["/__control/world"]["put"]["requestBody"]["content"]["application/json"]
    assert examples["examples"]["contract"]["value"] == data


@pytest.mark.skipif(shutil.which("curl") is None or shutil.which("bash") is None, reason="needs curl and bash")
def test_the_example_session_runs_as_documented(tmp_path: Path) -> None:
    text = CONTRACT_MD.read_text(encoding="utf-8")
    session = text.split("## Example session", 1)[1]
    script = _blocks(session, "bash")[0]
    expected = _blocks(session, "text")[0].rstrip("\n").splitlines()
    (tmp_path / "world.json").write_text(json.dumps(_contract_world()), encoding="utf-8")
    with start() as sim:
        local = re.sub(r"^BASE=\S+", f"BASE={sim.base_url}", script, count=1, flags=re.M)
        assert local != script
        done = subprocess.run(["bash", "-c", f"set -e\n{local}"], cwd=tmp_path, capture_output=True, text=True,
                              timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    ids = set(re.findall(r'"id": "([0-9a-f-]{36})"', done.stdout))
    assert len(ids) == 1
    got = done.stdout.replace(ids.pop(), "<id>").rstrip("\n").splitlines()
    got[0] = re.sub(r'"now": "[^"]+"', '"now": "<the simulator\'s current time>"', got[0])
    assert got == expected


def test_the_world_schema_is_the_one_the_contract_names() -> None:
    assert "conformance/spec/world.schema.json" in CONTRACT_MD.read_text(encoding="utf-8")
    raw = yaml.safe_load((ROOT / "conformance" / "control.yaml").read_text(encoding="utf-8"))
    assert raw["components"]["schemas"]["World"] == {"$ref": "spec/world.schema.json"}


# --- the CLI: rules and world -----------------------------------------------------------------------------

def test_rules_prints_one_rule_as_the_docs_do(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "PUT-04"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("PUT-04  MUST  append/remove on a started or terminal campaign")
    assert "Evidence: " in out and "put.started_campaigns_cannot_change" in out and "docs/rules.md#put-04" in out
    assert "PUT-05" not in out
    assert main(["rules", "PUT-04", "--format", "markdown"]) == 0
    section = capsys.readouterr().out
    assert section.startswith("#### PUT-04\n") and section in RULES_MD.read_text(encoding="utf-8")


def test_rules_selects_families_and_ids_and_refuses_unknown_ones(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "put", "AUTH-03", "--format", "json"]) == 0
    rules = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in rules] == ["AUTH-03", *[r for r in RULES if r.startswith("PUT-")]]
    auth03 = rules[0]
    assert auth03["doc"] == "docs/rules.md#auth-03" and len(auth03["branches"]) == 2 and auth03["checks"]
    assert main(["rules"]) == 0
    everything = capsys.readouterr().out
    assert all(f"\n{r}  " in everything for r in RULES) and "Terms:" in everything
    assert main(["rules", "PUT-99"]) == 2
    err = capsys.readouterr().err
    assert "unknown rule or family 'PUT-99'" in err and err.count("\n") == 1


def test_world_example_is_a_valid_world_that_check_accepts(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["world", "--example"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert "_comment" in printed and World.from_json(printed).accounts
    assert main(["world", "--example", "starter.json"]) == 0
    capsys.readouterr()
    assert json.loads((tmp_path / "starter.json").read_text(encoding="utf-8")) == printed
    assert main(["world", "--example", "starter.json"]) == 2  # never overwrites
    assert "already exists" in capsys.readouterr().err
    assert main(["world", "--check", "starter.json"]) == 0
    out = capsys.readouterr().out
    assert "FILL-IN placeholder" in out and out.rstrip().endswith("a valid world (2 credential(s), 2 account(s), "
                                                                  "5 device(s))")
    assert sorted(tmp_path.iterdir()) == [tmp_path / "starter.json"]


def test_world_schema_prints_the_shipped_schema(capsys: pytest.CaptureFixture[str]) -> None:
    from conformance.spec.world import world_schema

    assert main(["world", "--schema"]) == 0
    assert json.loads(capsys.readouterr().out) == world_schema() == load_control()["components"]["schemas"]["World"]


def test_world_check_prints_one_line_per_problem_and_exits_2(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    data = _contract_world()
    data["accounts"][0]["devices"][1]["imei"] = 12
    data["credentials"][0].pop("m2m")
    bad = tmp_path / "world.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    assert main(["world", "--check", str(bad)]) == 2
    assert sorted(capsys.readouterr().out.splitlines()) == [
        f"{bad}: accounts[0].devices[1].imei: 12 is not of type 'string'",
        f"{bad}: credentials[0].m2m: required but missing",
    ]
    assert main(["run", "--world", str(bad), "--base-url", "http://127.0.0.1:9/api/fota/v1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "(and 1 more problem)" in err


def test_world_check_notes_what_a_run_would_miss(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _contract_world()
    data["accounts"] = data["accounts"][:1]
    path = tmp_path / "w.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert main(["world", "--check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "account '0000654321-00001' is named by a credential but not described" in out
    assert "1 reachable device(s) fit its best firmware" in out


# --- every report points to the rule's section -------------------------------------------------------------

def _report(doc: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {"outcome": "failed", "details": ["append on an InProgress campaign got 200"],
                             "level": "MUST", "title": RULES["PUT-04"].title, "findings": []}
    if doc:
        entry["doc"] = "docs/rules.md#put-04"
    rules = {r: {"outcome": "passed", "details": []} for r in RULES}
    rules["PUT-04"] = entry
    return {"conformant": False, "target": "http://127.0.0.1:1/api/fota/v1", "control_plane": True, "rules": rules}


@pytest.mark.parametrize("doc", [True, False])
def test_failed_rules_point_to_their_section_in_every_renderer(doc: bool) -> None:
    report = _report(doc)
    assert "rule: docs/rules.md#put-04" in render_terminal(report)
    junit = render_junit(report)
    assert 'name="doc" value="docs/rules.md#put-04"' in junit and ">rule: docs/rules.md#put-04" in junit
    assert "`docs/rules.md#put-04`" in render_markdown_report(report)


def test_the_json_report_carries_each_rules_doc() -> None:
    from conformance.suite.runner import run_suite

    with start() as sim:
        report = run_suite(sim.base_url, rules=["PUT-06"])
    assert {rule_id: entry["doc"] for rule_id, entry in report["rules"].items()} == {r: doc_ref(r) for r in RULES}
