"""Checks the source layout: no file over 500 lines, no import cycle between files,
and in pime/src, dependencies that point down the layers only.

Run from the repository root: python3 .ci/check_layout.py
"""

import pathlib
import re
import sys

MAX_LINES = 500
# pime/src layers, top to bottom: a file may use files of its own layer and below.
LAYERS = [
    {"lib", "__private"},
    {"client"},
    {"engine"},
    {"host"},
    {"pool", "interpreters"},
    {"jobs"},
    {"python"},
    {"value", "error", "task", "stats", "waiting", "spin", "stack"},
]
USE = re.compile(r"\b(crate|super)((?:::\w+)+)(?:::\{([^}]*)\})?")


def module_of(root, path):
    """`engine::state` for pime/src/engine/state.rs, `engine` for engine/mod.rs."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "mod":
        parts.pop()
    return parts or ["lib"]


REEXPORT = re.compile(r"pub(?:\(crate\))? use (\w+)::(?:\{([^}]*)\}|(\w+));")


def reexports(files):
    """`(folder, name) -> file` for the names a folder's mod.rs re-exports."""
    found = {}
    for module, path in files.items():
        if path.name != "mod.rs":
            continue
        for file, group, single in REEXPORT.findall(path.read_text()):
            for name in (group.split(",") if group else [single]):
                name = name.strip()
                if name and tuple(module) + (file,) in files:
                    found[tuple(module) + (name,)] = tuple(module) + (file,)
    return found


def resolve(files, exported, segments):
    """The file that `segments` names: the longest prefix that is a module, or the
    file a folder re-exports the next name from."""
    for n in range(len(segments), 0, -1):
        candidate = tuple(segments[:n])
        if candidate in exported:
            return exported[candidate]
        if candidate in files:
            return candidate
    return None


def edges(root):
    files = {tuple(module_of(root, p)): p for p in root.rglob("*.rs")}
    graph = {m: set() for m in files}
    exported = reexports(files)
    for module, path in files.items():
        text = path.read_text()
        # Test modules may reach anywhere; only the code itself must be layered.
        text = text.split("#[cfg(test)]")[0]
        text = re.sub(r"//.*", "", text)
        # `use super::x` inside a folder's file means the folder itself.
        base = list(module[:-1]) if path.name != "mod.rs" else list(module[:-1])
        for keyword, rest, group in USE.findall(text):
            segments = rest.strip(":").split("::")
            if keyword == "super":
                segments = base + segments
            names = [segments]
            if group:
                names = [segments + [g.strip().split("::")[0]] for g in group.split(",") if g.strip()]
            for name in names:
                target = resolve(files, exported, [s for s in name if s != "self"])
                if target and target != module and target != ("lib",):
                    graph[module].add(target)
    return files, graph


def find_cycle(graph):
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def layer(module):
    for depth, names in enumerate(LAYERS):
        if module[0] in names:
            return depth
    return None


def main():
    problems = []
    for src in ["pime/src", "pime-macros/src"]:
        root = pathlib.Path(src)
        for path in sorted(root.rglob("*.rs")):
            lines = len(path.read_text().splitlines())
            if lines > MAX_LINES:
                problems.append(f"{path}: {lines} lines (at most {MAX_LINES})")
        files, graph = edges(root)
        # A folder's mod.rs re-exports its files: drop those edges for the cycle check.
        code_graph = {
            m: {t for t in targets if not (files[m].name == "mod.rs" and t[: len(m)] == m)}
            for m, targets in graph.items()
        }
        cycle = find_cycle(code_graph)
        if cycle:
            problems.append(f"{src}: import cycle " + " -> ".join("::".join(m) for m in cycle))
        if src == "pime/src":
            for module, targets in graph.items():
                for target in targets:
                    if layer(module) is None or layer(target) is None:
                        problems.append(f"{src}: {'::'.join(module)} or {'::'.join(target)} is in no layer")
                    elif layer(target) < layer(module):
                        problems.append(
                            f"{src}: {'::'.join(module)} uses {'::'.join(target)}, a layer above it"
                        )
    for problem in problems:
        print(problem)
    print(f"layout: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
