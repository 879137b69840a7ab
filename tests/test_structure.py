"""The code's structure: no import cycle between toneboard's modules, counting the imports inside
functions too (a lazy import hides a cycle, it does not end it) and the imports for type checking
(``if TYPE_CHECKING:`` hides one from the interpreter, not from a reader: the two modules still
know each other)."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ingest", "analytics", "dashboard")


def _modules() -> dict[str, Path]:
    mods = {"cli": ROOT / "cli.py"}
    for pkg in PACKAGES:
        for f in (ROOT / pkg).rglob("*.py"):
            parts = f.relative_to(ROOT).with_suffix("").parts
            mods[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = f
    return mods


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    return _imports_in(name, path.read_text(encoding="utf-8"), path.name == "__init__.py", known)


def _imports_in(name: str, text: str, is_package: bool, known: set[str]) -> set[str]:
    tree = ast.parse(text)
    pkg = name if is_package else name.rpartition(".")[0]  # what a relative import starts from
    out = set()
    for n in ast.walk(tree):  # every import: at the top, in a function, under TYPE_CHECKING
        if isinstance(n, ast.ImportFrom):
            base = ".".join(pkg.split(".")[:len(pkg.split(".")) - n.level + 1]) if n.level else ""
            module = ".".join(x for x in (base, n.module) if x)
            for a in n.names:
                sub = f"{module}.{a.name}"
                out.add(sub if sub in known else module)
        elif isinstance(n, ast.Import):
            out.update(a.name for a in n.names)
    return {m for m in out if m in known and m != name}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))
    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle_between_modules():
    mods = _modules()
    graph = {m: _imports(m, p, set(mods)) for m, p in mods.items()}
    assert all(graph[m] for m in ("cli", "ingest.batch.pipeline", "dashboard.app"))  # the graph is read at all
    assert _cycles(graph) == []


# The rooms (sub-packages by concern) and the rooms each may import: each package's docstring says
# the same in words. ingest/ is the bottom layer (it runs in Ray workers and the live server without
# the analytics or the dashboard); analytics/ never imports the dashboard; a page lays out what
# analytics/ computes and imports no model.
_INGEST = {"ingest", "ingest.models", "ingest.store", "ingest.speakers", "ingest.analysis", "ingest.batch", "ingest.live"}
ALLOWED = {
    "ingest": set(),  # records, errors, ids, decode, signals, pii
    "ingest.models": {"ingest"},
    "ingest.store": {"ingest"},
    "ingest.speakers": {"ingest", "ingest.models", "ingest.store"},
    "ingest.analysis": {"ingest", "ingest.models", "ingest.store", "ingest.speakers"},  # options, analyse
    "ingest.batch": {"ingest", "ingest.models", "ingest.store", "ingest.speakers", "ingest.analysis"},
    "ingest.live": _INGEST - {"ingest.live"},
    "analytics": _INGEST,
    "analytics.talk": _INGEST | {"analytics"},
    "analytics.alerts": _INGEST | {"analytics", "analytics.talk"},
    "analytics.access": _INGEST | {"analytics"},
    "analytics.qa": _INGEST | {"analytics", "analytics.talk", "analytics.alerts"},
    "analytics.workflow": _INGEST | {"analytics", "analytics.talk", "analytics.alerts", "analytics.qa"},
    "analytics.experiments": _INGEST | {"analytics", "analytics.talk", "analytics.alerts", "analytics.qa"},
    "dashboard": _INGEST | {"analytics", "analytics.talk", "analytics.alerts", "analytics.access", "analytics.qa", "analytics.workflow",
                            "analytics.experiments"},
    "dashboard.views": {"dashboard", "analytics", "analytics.talk", "analytics.alerts", "analytics.access", "analytics.qa",
                        "analytics.workflow", "analytics.experiments"},
    "cli": _INGEST | {"analytics", "analytics.talk", "analytics.alerts", "analytics.access", "analytics.qa", "analytics.workflow",
                      "analytics.experiments", "dashboard"},
}


def room(module: str) -> str:
    """The room a module lives in: its sub-package, or its package's base."""
    if module in ("ingest.options", "ingest.analyse"):
        return "ingest.analysis"
    for r in sorted(ALLOWED, key=len, reverse=True):
        if module == r or module.startswith(r + "."):
            return r
    raise AssertionError(f"{module} is in no room: add it to ALLOWED")


def _wrong_way(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    return sorted((m, i) for m, deps in graph.items() for i in deps
                  if room(m) != room(i) and room(i) not in ALLOWED[room(m)])


def test_rooms_import_only_in_the_documented_directions():
    """Counted with lazy and type-checking imports too."""
    mods = _modules()
    graph = {m: _imports(m, p, set(mods)) for m, p in mods.items()}
    assert "ingest.store" in graph["analytics.db"]  # the graph sees cross-package imports at all
    assert {room(m) for m in mods} == set(ALLOWED)  # every room has modules, every module a room
    assert _wrong_way(graph) == []


def test_an_edge_the_wrong_way_is_found():
    """The imports this issue took out come back as failures: a page importing a model or the
    voiceprint code, the store importing the speakers, the analytics importing the dashboard."""
    mods = _modules()
    graph = {m: _imports(m, p, set(mods)) for m, p in mods.items()}
    for m, back in (("dashboard.views.timeline", "ingest.speakers.voices"), ("dashboard.views.timeline", "ingest.models.recognize"),
                    ("ingest.store.backup", "ingest.speakers.voices"), ("analytics.home", "analytics.alerts.rules"),
                    ("analytics.db", "dashboard.ui"), ("ingest.models.tags", "ingest.batch.pipeline")):
        assert _wrong_way({**graph, m: graph[m] | {back}}) == [(m, back)]


def test_every_package_says_what_it_owns_and_may_import():
    for init in [ROOT / pkg / "__init__.py" for pkg in PACKAGES] + sorted(ROOT.glob("*/*/__init__.py")):
        if init.parent.parent.name in PACKAGES or init.parent.name in PACKAGES:
            text = init.read_text(encoding="utf-8")
            assert '"""' in text and ("import" in text.split('"""')[1]), init


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_an_import_for_type_checking_is_an_edge():
    """The live server and its calls imported each other, the edge back hidden under TYPE_CHECKING
    (issue 27): such an edge counts, so adding it back fails the cycle test."""
    mods = _modules()
    known = set(mods)
    back = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .server import LiveServer\n"
    assert "ingest.live.server" in _imports_in("ingest.live.call", back, False, known)
    graph = {m: _imports(m, p, known) for m, p in mods.items()}
    graph["ingest.live.call"] = graph["ingest.live.call"] | _imports_in("ingest.live.call", back, False, known)
    assert ["ingest.live.call", "ingest.live.server"] in _cycles(graph)


# -- one owner of the data folder --------------------------------------------------------------
STORE_FOLDERS = ("recordings|batches|ingest_errors|uploads|live|_active|compacted|current|voiceprints|\\.tmp|\\.trash|"
                 "corrections|tickets|ticket_events|speaker_corrections|notifications|playlist_items|_schema")
# a path into the store: its root or layout helpers, or one of its folder names joined to a path
NAMES_THE_STORE = re.compile(r"\.root\b|\bstore_dir\b|\bFILE_NAMES\b|\btable_glob\b|\bview_sql\b|\.recordings\s*/"
                             r"|\.store[\"']|/\s*[\"'](" + STORE_FOLDERS + r")[\"']|[\"'](" + STORE_FOLDERS + r")/")


def _names_the_store(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if NAMES_THE_STORE.search(line)]


def test_only_the_store_package_names_a_file_or_folder_of_the_store():
    """ingest/store/ alone knows the data folder's layout; everyone else asks it (Store methods)."""
    code = [f for pkg in (*PACKAGES, "benchmarks") for f in (ROOT / pkg).rglob("*.py")
            if not f.is_relative_to(ROOT / "ingest" / "store")] + [ROOT / "cli.py"]
    assert len(code) > 40
    found = {str(f.relative_to(ROOT)): hits for f in code if (hits := _names_the_store(f.read_text(encoding="utf-8")))}
    assert found == {}


def test_the_layout_check_sees_what_the_code_used_to_write():
    """Lines the code had before the store package owned the layout are caught (the check can fail)."""
    for line in ('self.uploads = store_dir(self.db) / "uploads"',
                 'clean_stale_status(self.store.root / "live" / "_active")',
                 'for f in sorted((Path(store_root) / "live" / "_active").glob("*.json")):',
                 '[str(store.recordings / "*" / "recording.parquet"), batches]',
                 'os.replace(next(part.glob("*.parquet")), store.recordings / rid / schema.FILE_NAMES[table])',
                 'path = muted_copy(Path(path), private, ui.data().store.root / ".cache" / "muted" / f"{rid}.wav")'):
        assert _names_the_store(line), line
    assert not _names_the_store('model = build_model_dir(ROOT / ".cache" / "random-sensevoice-full", "full")')


def test_the_command_line_stays_a_thin_shell():
    """cli.py composes the commands; their options live beside what they set (``add_arguments``)."""
    assert len((ROOT / "cli.py").read_text(encoding="utf-8").splitlines()) < 300


def test_every_module_stays_under_400_lines():
    """A module one can hold in one's head (issue 27): code, tests and benchmarks alike."""
    files = [f for d in (*PACKAGES, "tests", "benchmarks") for f in (ROOT / d).rglob("*.py")] + [ROOT / "cli.py"]
    assert len(files) > 80
    long = {str(f.relative_to(ROOT)): n for f in files if (n := len(f.read_text(encoding="utf-8").splitlines())) >= 400}
    assert long == {}


def test_every_command_is_documented():
    """Each `toneboard <command>` appears in the README, SECURITY.md or docs/ (a new command brings its docs)."""
    import cli

    subs = next(a for a in cli.build_parser()._actions if a.__class__.__name__ == "_SubParsersAction")
    text = "\n".join(f.read_text(encoding="utf-8") for f in [ROOT / "README.md", ROOT / "SECURITY.md",
                                                            *(ROOT / "docs").glob("*.md")])
    assert len(subs.choices) > 20
    assert [c for c in subs.choices if not re.search(rf"toneboard {re.escape(c)}\b", text)] == []
