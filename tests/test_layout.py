"""The package layout: layered subpackages as in RecBole, imports only downward, a docstring in every module."""

import ast
import configparser
import re
from pathlib import Path

import recbole_elcrec

PACKAGE = "recbole_elcrec"
PACKAGE_DIR = Path(recbole_elcrec.__file__).resolve().parent
REPO_ROOT = Path(__file__).resolve().parents[1]
# low to high: a module may import from its own layer and the ones before it
LAYERS = ("utils", "config", "data", "model", "evaluation", "trainer", "quick_start", "commands")
# entry points beside the package's __init__: ``python -m recbole_elcrec`` (every command) and
# ``python -m recbole_elcrec.compare`` (the module name under which Table 1's instructions rebuild the tables)
TOP_LEVEL = {"__init__.py", "__main__.py", "compare.py"}


def module_name(path: Path, package_dir: Path) -> str:
    parts = path.relative_to(package_dir.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, package_dir: Path) -> list[tuple[str, int]]:
    """Every ``recbole_elcrec`` module that ``path`` imports, at module level or inside functions, with the line."""
    name = module_name(path, package_dir)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative import
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            if base == PACKAGE:  # from recbole_elcrec import <subpackage>
                found += [(f"{PACKAGE}.{alias.name}" if alias.name in LAYERS else PACKAGE, node.lineno)
                          for alias in node.names]
            else:
                found.append((base, node.lineno))
    return [(target, line) for target, line in found if target == PACKAGE or target.startswith(PACKAGE + ".")]


def layer_of(module: str) -> str | None:
    """The layer (first subpackage) of a module; None for the top-level package itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def layer_violations(package_dir: Path) -> list[str]:
    """Every import that goes up the layers or out of them, as 'file:line: module imports target (why)'."""
    problems = []
    for path in sorted(package_dir.rglob("*.py")):
        own = layer_of(module_name(path, package_dir))
        if path.parent == package_dir and path.name in TOP_LEVEL:
            continue  # the top-level entry points may import anything
        for target, line in imported_modules(path, package_dir):
            other = layer_of(target)
            where = f"{path.relative_to(package_dir.parent)}:{line}: imports {target}"
            if other is None:
                continue  # the top-level package (version, numpy aliases) is fine from anywhere
            if own not in LAYERS:
                problems.append(f"{where} (the module is in no layer)")
            elif other not in LAYERS:
                problems.append(f"{where} ({other} is in no layer)")
            elif LAYERS.index(other) > LAYERS.index(own):
                problems.append(f"{where} (layer {other} is above {own})")
    return problems


def test_imports_only_go_down_the_layers():
    assert layer_violations(PACKAGE_DIR) == []


def test_an_upward_import_is_reported(tmp_path):
    package = tmp_path / PACKAGE
    for folder in ("model", "utils", "trainer"):
        (package / folder).mkdir(parents=True)
        (package / folder / "__init__.py").write_text('"""A layer."""\n')
    (package / "model" / "iclrec.py").write_text(
        '"""A model."""\n\n\ndef fit():\n    from recbole_elcrec.trainer.trainer import ELCRecTrainer\n')
    (package / "utils" / "registry.py").write_text('"""Lookup."""\nfrom recbole_elcrec import model\n'
                                                     'from . import io\n')
    (package / "trainer" / "trainer.py").write_text('"""Fine."""\nfrom recbole_elcrec.model import iclrec\n')
    assert layer_violations(package) == [
        "recbole_elcrec/model/iclrec.py:5: imports recbole_elcrec.trainer.trainer (layer trainer is above model)",
        "recbole_elcrec/utils/registry.py:2: imports recbole_elcrec.model (layer model is above utils)",
    ]


def test_every_package_and_module_has_a_docstring():
    missing = [str(path.relative_to(REPO_ROOT)) for path in sorted(PACKAGE_DIR.rglob("*.py"))
               if not ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))]
    assert not missing, f"no docstring: {missing}"


def test_only_init_and_the_entry_points_sit_at_the_top_level():
    assert {path.name for path in PACKAGE_DIR.glob("*.py")} == TOP_LEVEL


def test_every_subpackage_is_a_layer_and_ships_in_the_wheel():
    subpackages = {path.parent.name for path in PACKAGE_DIR.glob("*/__init__.py")}
    assert subpackages == set(LAYERS)
    assert not [path for path in PACKAGE_DIR.glob("*/*/__init__.py")], "no nested subpackages (add them to LAYERS)"
    setup = configparser.ConfigParser()
    setup.read(REPO_ROOT / "setup.cfg")
    packages = set(setup["options"]["packages"].split())
    assert {PACKAGE, *(f"{PACKAGE}.{layer}" for layer in LAYERS)} <= packages
    console_scripts = setup["options.entry_points"]["console_scripts"].split()
    assert console_scripts == ["recbole-elcrec", "=", "recbole_elcrec.commands:main"]


def test_readme_shows_exactly_the_tables_the_committed_records_give(monkeypatch):
    """The README's results tables are what `recbole-elcrec compare --tables results/` gives from the records."""
    from recbole_elcrec.evaluation.results import TABLES_FILE, render_tables

    root = REPO_ROOT
    readme = (root / "README.md").read_text()
    begin, end = "<!-- begin: results/tables.md -->\n", "<!-- end: results/tables.md -->"
    monkeypatch.chdir(root)  # the tables link their charts relative to the repository root
    shown = readme.split(begin)[1].split(end)[0]
    assert shown == render_tables(Path("results")) == (root / "results" / TABLES_FILE).read_text()


def heading_anchors(markdown: str) -> set[str]:
    """GitHub's anchors of a Markdown text's headings: lower case, punctuation dropped, spaces as hyphens."""
    anchors, seen = set(), {}
    for title in re.findall(r"^#+ +(.+?) *$", markdown, flags=re.MULTILINE):
        anchor = re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")
        count = seen.get(anchor, 0)
        seen[anchor] = count + 1
        anchors.add(f"{anchor}-{count}" if count else anchor)
    return anchors


def test_heading_anchors_follow_githubs_rules():
    text = "# Table 1: runs (Beauty, then Toys)\n## `compare`, the tables\n## `compare`, the tables\n"
    assert heading_anchors(text) == {"table-1-runs-beauty-then-toys", "compare-the-tables", "compare-the-tables-1"}


def test_every_readme_link_leads_somewhere():
    """A renamed heading or a moved chart leaves no link in the README pointing at nothing."""
    readme = (REPO_ROOT / "README.md").read_text()
    anchors = heading_anchors("\n".join(readme.split("```")[::2]))  # outside code blocks
    targets = re.findall(r"\]\(([^)\s]+)\)", readme)
    assert [target for target in targets if target.startswith("#") and target[1:] not in anchors] == []
    files = [target for target in targets if not target.startswith(("#", "http://", "https://"))]
    assert [target for target in files if not (REPO_ROOT / target.split("#")[0]).exists()] == []
