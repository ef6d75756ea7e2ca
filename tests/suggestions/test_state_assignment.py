"""Nothing outside `suggestions/workflow.py` assigns a suggestion's `state`.

The source of every Python module of the project (not the virtualenv, not migrations, not
tests, which build fixtures) is parsed with `ast` and searched for every way of writing
`state`: `x.state = …` (also augmented, annotated, tuple and `for` targets), `setattr(x,
"state", …)`, `state=` passed to `update`, `create`, `get_or_create`, `update_or_create`,
`bulk_update` or a model constructor, `"state"` as a key of `defaults=`/`create_defaults=` or
of a `**{…}` argument, `bulk_update(…, ["state"])`, and SQL text that updates or inserts it.

Allow-listed, besides the workflow itself: the demo/volume data generator
`stations/management/commands/seed_demo.py` and any module under a package named `demo`.
They build historical rows in bulk (a year of suggestions in every state for the demo and
the benchmarks) where replaying every action would take hours; they never run in a request.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = {
    Path("suggestions/workflow.py"),
    Path("stations/management/commands/seed_demo.py"),
    # Writes the case file's rows and facts in SQL; checked below to never touch `state`.
    Path("suggestions/casefile.py"),
}
SKIP_DIRS = {".venv", "venv", "node_modules", "migrations", "tests", "build", "dist", ".git", "staticfiles", "media"}
WRITING_METHODS = {
    "update",
    "create",
    "get_or_create",
    "update_or_create",
    "bulk_create",
    "bulk_update",
    "filter_update",
}
SQL_WRITE = re.compile(
    r"\b(update\s+\S*suggestion\S*\s+set\b[^;]*\bstate\b|insert\s+into\s+\S*suggestion)", re.I | re.S
)


def _modules() -> list[Path]:
    found = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if any(part in SKIP_DIRS or part.startswith(".") for part in rel.parts[:-1]):
            continue
        if rel in ALLOWED or "demo" in rel.parts[:-1]:
            continue
        found.append(rel)
    return sorted(found)


@functools.cache
def _stateful_models() -> frozenset[str]:
    """Names of the models (and their factories) that have a `state` field: Suggestion."""
    names = {m.__name__ for m in apps.get_models() if any(f.name == "state" for f in m._meta.get_fields())}
    return frozenset(names | {f"{n}Factory" for n in names})


def _is_state_key(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value == "state"


def _dict_has_state(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Dict) and any(k is not None and _is_state_key(k) for k in node.keys)


def _targets(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.Assign):
        return list(node.targets)
    if isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        return [node.target]
    if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
        return [node.target]
    if isinstance(node, ast.withitem) and node.optional_vars is not None:
        return [node.optional_vars]
    if isinstance(node, ast.NamedExpr):
        return [node.target]
    return []


def _flatten(target: ast.AST) -> list[ast.AST]:
    if isinstance(target, (ast.Tuple, ast.List)):
        return [leaf for elt in target.elts for leaf in _flatten(elt)]
    if isinstance(target, ast.Starred):
        return _flatten(target.value)
    return [target]


def state_writes(source: str, filename: str = "<source>") -> list[str]:
    """Each place in `source` that writes a `state`, as "line: what"."""
    tree = ast.parse(source, filename)
    hits: list[str] = []
    for node in ast.walk(tree):
        for target in _targets(node):
            for leaf in _flatten(target):
                if isinstance(leaf, ast.Attribute) and leaf.attr == "state":
                    hits.append(f"{leaf.lineno}: assignment to .state")
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name == "setattr" and len(node.args) >= 2 and _is_state_key(node.args[1]):
                hits.append(f"{node.lineno}: setattr(…, 'state', …)")
            constructor = name in _stateful_models()
            for kw in node.keywords:
                if kw.arg == "state" and (name in WRITING_METHODS or constructor):
                    hits.append(f"{node.lineno}: {name}(state=…)")
                if kw.arg in {"defaults", "create_defaults"} and _dict_has_state(kw.value):
                    hits.append(f"{node.lineno}: {name}({kw.arg}={{'state': …}})")
                if kw.arg is None and _dict_has_state(kw.value) and (name in WRITING_METHODS or constructor):
                    hits.append(f"{node.lineno}: {name}(**{{'state': …}})")
            if name == "bulk_update":
                fields = (
                    node.args[1]
                    if len(node.args) > 1
                    else next((kw.value for kw in node.keywords if kw.arg == "fields"), None)
                )
                if isinstance(fields, (ast.List, ast.Tuple, ast.Set)) and any(_is_state_key(e) for e in fields.elts):
                    hits.append(f"{node.lineno}: bulk_update(…, ['state'])")
            if name == "save":
                for kw in node.keywords:
                    if (
                        kw.arg == "update_fields"
                        and isinstance(kw.value, (ast.List, ast.Tuple, ast.Set))
                        and any(_is_state_key(e) for e in kw.value.elts)
                    ):
                        hits.append(f"{node.lineno}: save(update_fields=['state'])")
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL_WRITE.search(node.value):
            hits.append(f"{node.lineno}: SQL writing suggestions")
    return hits


def test_nothing_outside_the_workflow_assigns_state() -> None:
    modules = _modules()
    assert Path("suggestions/selectors.py") in modules  # the scan really covers the apps
    offenders = {str(rel): hits for rel in modules if (hits := state_writes((ROOT / rel).read_text("utf-8"), str(rel)))}
    assert offenders == {}, "Only suggestions/workflow.py may set Suggestion.state: " + repr(offenders)


def test_the_workflow_itself_is_found_by_the_scanner() -> None:
    """Guards the scanner: it must see the workflow's own writes, or it proves nothing."""
    hits = state_writes((ROOT / "suggestions/workflow.py").read_text("utf-8"))
    assert len([h for h in hits if "assignment to .state" in h]) >= 10
    assert any("Suggestion(state=" in h for h in hits)


def test_the_scanner_recognises_every_way_of_writing_state() -> None:
    source = """
s.state = "closed"
a, s.state = 1, "closed"
s.state += ""
setattr(s, "state", "closed")
Suggestion.objects.filter(pk=1).update(state="closed")
Suggestion.objects.create(state="closed", title="x")
Suggestion(state="closed")
Suggestion.objects.update_or_create(pk=1, defaults={"state": "closed"})
Suggestion.objects.filter(pk=1).update(**{"state": "closed"})
Suggestion.objects.bulk_update(rows, ["state"])
s.save(update_fields=["state"])
cursor.execute("UPDATE suggestions_suggestion SET state = 'closed'")
"""
    assert len(state_writes(source)) == 12
    harmless = """
Suggestion.objects.filter(state="closed").count()
s.state == "closed"
print(s.state)
State.CLOSED
"""
    assert state_writes(harmless) == []


def test_the_case_file_sql_never_writes_state() -> None:
    source = (ROOT / "suggestions" / "casefile.py").read_text(encoding="utf-8")
    assert not re.search(r"\bstate\s*=", source)
