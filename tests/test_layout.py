"""The layout rules of docs/architecture.md, checked on the sources:

* the Python package has no import cycles (module-level imports; an import inside a
  function is allowed only for an optional dependency);
* the library does not import the command line or the applications, and the command
  line uses the public API, never ``_core``;
* no source file is over 600 lines and no function over 80 lines unless a
  ``long:`` comment beside it says why;
* no test-only code in the package (no environment-driven test hooks).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Dict, Iterator, List, Set, Tuple

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "src" / "python" / "htj2k"
CPP = ROOT / "src" / "cpp"
MAX_FILE_LINES = 600
MAX_FUNCTION_LINES = 80
#: Modules that may be imported inside functions: optional dependencies (extras),
#: and htj2k.dicom, which needs pydicom.
OPTIONAL = {"pydicom", "rich", "dask", "distributed", "htj2k.dicom", "resource", "PIL", "png", "tifffile",
            "imageio", "numcodecs", "zarr"}


def known_module(name: str) -> bool:
    rel = Path(*name.split("."))
    return (PKG.parent / rel).with_suffix(".py").is_file() or (PKG.parent / rel / "__init__.py").is_file() \
        or any((PKG.parent / rel.parent).glob(rel.name + ".*.so")) or name == "htj2k._core"


def module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_files() -> List[Path]:
    return sorted(PKG.rglob("*.py"))


def resolve(module: str, is_package: bool, node: ast.ImportFrom) -> List[str]:
    """Absolute names an ImportFrom brings in (the module and, for ``from . import x``, ``x``)."""
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    subs = [f"{target}.{a.name}" for a in node.names]
    if node.module is None and all(known_module(m) for m in subs):
        return subs  # ``from . import x``: the submodules only (the package is an ancestor)
    return [target] + subs


def imports(path: Path) -> Tuple[Set[str], List[Tuple[int, str]]]:
    """(htj2k modules imported at module level, [(line, module)] imported inside functions)."""
    tree = ast.parse(path.read_text())
    mod = module_name(path)
    is_pkg = path.name == "__init__.py"
    top: Set[str] = set()
    nested: List[Tuple[int, str]] = []

    def names(node: ast.AST) -> List[str]:
        if isinstance(node, ast.Import):
            return [a.name for a in node.names]
        if isinstance(node, ast.ImportFrom):
            return resolve(mod, is_pkg, node)
        return []

    for node in tree.body:
        top.update(names(node))
        if isinstance(node, (ast.If, ast.Try)):  # guarded module-level imports count as module level
            for sub in ast.walk(node):
                top.update(names(sub))
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for sub in ast.walk(fn):
                for n in names(sub):
                    nested.append((sub.lineno, n))
    return top, nested


def module_graph() -> Dict[str, Set[str]]:
    known = {module_name(p) for p in package_files()}
    graph: Dict[str, Set[str]] = {}
    for p in package_files():
        top, _ = imports(p)
        graph[module_name(p)] = {m for m in top if m in known and m != module_name(p)}
    return graph


def cycles(graph: Dict[str, Set[str]]) -> List[List[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on: Set[str] = set()
    out: List[List[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
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
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles():
    graph = module_graph()
    # a package's __init__ importing its own submodules is not a cycle by itself;
    # a submodule importing its package's __init__ back is
    assert cycles(graph) == []


def test_function_level_imports_only_for_optional_dependencies():
    bad = []
    for p in package_files():
        _, nested = imports(p)
        for line, name in nested:
            root = name.split(".")[0]
            if name in OPTIONAL or root in OPTIONAL or name.startswith("htj2k.dicom"):
                continue
            bad.append(f"{p.relative_to(ROOT)}:{line}: import {name}")  # stdlib, numpy, htj2k: at the top
    assert bad == []


def test_library_does_not_import_cli_or_tools():
    graph = module_graph()
    library = [m for m in graph if not m.startswith(("htj2k.cli", "htj2k.tools", "htj2k.demo", "htj2k.__main__"))]
    bad = {m: sorted(d for d in graph[m] if d.startswith(("htj2k.cli", "htj2k.tools"))) for m in library}
    assert {m: d for m, d in bad.items() if d} == {}


def test_cli_and_tools_use_the_public_api():
    bad = []
    for p in package_files():
        mod = module_name(p)
        if not mod.startswith(("htj2k.cli", "htj2k.tools")):
            continue
        top, nested = imports(p)
        for name in list(top) + [n for _, n in nested]:
            if name == "htj2k._core" or name.startswith("htj2k._core."):
                bad.append(f"{mod}: {name}")
        if re.search(r"\b_core\.", p.read_text()):
            bad.append(f"{mod}: uses _core")
    assert bad == []


_REASON = re.compile(r"(#|//).*\blong\b[^:]*:", re.IGNORECASE)


def has_reason(lines: List[str], first: int) -> bool:
    """A comment saying why it is long ("Long by nature: ...", "# long: ...") on the
    definition line or the three lines above it."""
    return any(_REASON.search(lines[i]) for i in range(max(0, first - 3), first + 1))


def long_python_functions() -> Iterator[str]:
    for p in package_files():
        text = p.read_text()
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                first = (node.decorator_list[0].lineno if node.decorator_list else node.lineno) - 1
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES and not has_reason(lines, first):
                    yield f"{p.relative_to(ROOT)}:{node.lineno} {node.name}: {n} lines"


_CPP_CONTROL = re.compile(r"^\s*(if|for|while|switch|else|do|try|catch|namespace|struct|class|enum|union|extern)\b")


def long_cpp_functions(path: Path, label: str = "") -> Iterator[str]:
    """Function bodies by brace matching: a ``{`` that opens at namespace level after
    a line with a parameter list starts a function; its length runs to the matching ``}``."""
    lines = path.read_text().splitlines()
    depth = 0
    scopes: List[str] = []  # "ns" or "fn" per open brace at the levels we track
    start = None
    for i, raw in enumerate(lines):
        line = re.sub(r"//.*", "", raw)
        line = re.sub(r'"(\\.|[^"\\])*"', '""', line)
        line = re.sub(r"'(\\.|[^'\\])*'", "''", line)
        for ch in line:
            if ch == "{":
                in_fn = "fn" in scopes
                if not in_fn:
                    head = " ".join(lines[max(0, i - 3): i + 1])
                    is_fn = ")" in head and not _CPP_CONTROL.match(line) and "=" not in line.split("{")[0][-3:]
                    if is_fn and not re.search(r"\b(namespace|struct|class|enum)\b[^;()]*$", line.split("{")[0]):
                        scopes.append("fn")
                        j = i
                        while j > 0 and lines[j - 1].strip() and not lines[j - 1].rstrip().endswith((";", "}", "{")) \
                                and not lines[j - 1].lstrip().startswith(("//", "#")):
                            j -= 1
                        start = j
                    else:
                        scopes.append("ns")
                else:
                    scopes.append("block")
                depth += 1
            elif ch == "}":
                depth -= 1
                kind = scopes.pop() if scopes else "ns"
                if kind == "fn" and start is not None:
                    n = i - start + 1
                    if n > MAX_FUNCTION_LINES and not has_reason(lines, start):
                        yield f"{label or path.relative_to(ROOT)}:{start + 1}: {n} lines"
                    start = None


def test_cpp_function_finder_measures_a_function(tmp_path):
    body = "\n".join(["  x += 1;"] * 90)
    src = f"namespace a {{\nint f(int x) {{\n{body}\n  return x;\n}}\nint g() {{ return 1; }}\n}}\n"
    p = tmp_path / "probe.cpp"
    p.write_text(src)
    found = list(long_cpp_functions(p, "probe.cpp"))
    assert len(found) == 1 and "93 lines" in found[0]


def test_no_long_functions_without_a_reason():
    found = list(long_python_functions())
    for path in sorted(CPP.rglob("*.cpp")) + sorted(CPP.rglob("*.hpp")):
        found.extend(long_cpp_functions(path))
    assert found == []


@pytest.mark.parametrize("root", [PKG, CPP], ids=["python", "cpp"])
def test_no_file_over_the_limit(root):
    sizes = {
        str(p.relative_to(ROOT)): p.read_text().count("\n")
        for p in sorted(root.rglob("*"))
        if p.suffix in (".py", ".cpp", ".hpp")
    }
    assert {k: v for k, v in sizes.items() if v > MAX_FILE_LINES} == {}


def test_no_test_hooks_in_the_package():
    bad = [str(p.relative_to(ROOT)) for p in package_files() if re.search(r"HTJ2K_TEST|crash_on|hang_on", p.read_text())]
    assert bad == []
