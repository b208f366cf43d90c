"""The layering of src/lmlab, read from the source: no import cycle, and no module importing one
of a higher layer, counting imports inside functions too."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "lmlab"

# Bottom to top. A module may import its own layer and the ones below it, never one above.
LAYERS = (
    {"errors"},
    {"config", "project"},
    {"model", "data", "memory", "optim", "devices"},
    {"tokenize", "probes"},
    {"runs", "events", "diagnostics", "train"},  # training and the run store
    {"stats", "workers", "executors"},
    {"ladder", "confirm", "wordlevel", "api"},  # the study, its confirmation and the Python API
    {
        "markdown",
        "palette",
        "figure_data",
        "costs",
    },  # presentation's parts: Markdown, colours, plotted numbers, costs
    {  # presentation: tables, figures, a notebook's set-up and execution, the site
        *(
            "step_tables",
            "ladder_tables",
            "run_tables",
            "perf_tables",
            "confirm_tables",
            "figures",
            "interactive",
        ),
        *("notebook_setup", "notebooks", "check", "site", "browser_check", "scaffold"),
    },
    {"cli", "__init__", "__main__"},
)


def import_graph(package: Path) -> dict[str, set[str]]:
    """{module: the package's modules it imports anywhere in its file}; `from pkg import x` counts
    as importing pkg.x when x is a module, else the package itself (its __init__)."""
    name = package.name
    modules = {p.stem for p in package.glob("*.py")}
    graph: dict[str, set[str]] = {}
    for path in package.glob("*.py"):
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    parts = alias.name.split(".")
                    if parts[0] == name:
                        edges.add(parts[1] if len(parts) > 1 else "__init__")
            elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == name:
                parts = node.module.split(".")
                if len(parts) > 1:
                    edges.add(parts[1])
                else:
                    edges |= {a.name if a.name in modules else "__init__" for a in node.names}
        graph[path.stem] = edges - {path.stem}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as [a, b, ..., a], or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    layer = {module: i for i, names in enumerate(LAYERS) for module in names}
    return [
        f"{module} (layer {layer[module]}) imports {other} (layer {layer[other]})"
        for module, others in sorted(graph.items())
        for other in sorted(others)
        if layer[other] > layer[module]
    ]


def test_lmlab_has_no_import_cycle():
    assert find_cycle(import_graph(PACKAGE)) is None


def test_every_module_has_a_layer_and_imports_none_above_it():
    graph = import_graph(PACKAGE)
    assert set(graph) == set().union(*LAYERS), "a module was added or removed: give it its layer in LAYERS"
    assert upward_imports(graph) == []


@pytest.mark.parametrize("inside_a_function", [False, True])
def test_a_planted_cycle_is_found(tmp_path, inside_a_function):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "low.py").write_text("from pkg.errors import Oops\n")
    (package / "errors.py").write_text("class Oops(Exception):\n    pass\n")
    back = "from pkg import low\n" if not inside_a_function else "def later():\n    from pkg.low import x\n"
    (package / "high.py").write_text("import pkg.low\n")
    (package / "errors.py").write_text((package / "errors.py").read_text() + back.replace("low", "high"))
    cycle = find_cycle(import_graph(package))
    assert cycle is not None and cycle[0] == cycle[-1] and set(cycle) == {"errors", "high", "low"}


def test_a_lower_module_importing_a_higher_one_is_named():
    graph = {"config": {"step_tables"}, "step_tables": {"config"}}
    assert upward_imports(graph) == ["config (layer 1) imports step_tables (layer 8)"]
