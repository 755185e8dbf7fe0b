#!/usr/bin/env python3
"""Checks the dependency rule of HACKING.md: each layer of src/ (a top-level
folder) may use only the layers listed for it below. Reads every `crate::X`
and `super::` path in the code (comments aside) and fails, naming file and
line, on any use against the rule. Also checks that HACKING.md's map of src/
names every file there and no other. Run from anywhere; exits 1 on a breach."""
import pathlib
import re
import sys

# Layer -> the layers it may use (besides itself). Keep in step with HACKING.md.
RULE = {
    "util": set(),
    "store": {"util"},
    "claude": {"util", "store"},
    "git": {"util"},
    "worktree": {"util", "store", "git"},
    "ipc": {"util"},
    "run": {"util", "store", "claude"},
    "holder": {"util", "store", "claude", "ipc", "run"},
    "client": {"util", "ipc"},
    "view": {"util", "store", "claude", "run", "worktree"},
    "archive": {"util", "store", "claude"},
    "remote": {"util", "store"},
    "search": {"util", "store", "claude"},
    "cli": set(),
    "dashboard": {"util", "store", "claude", "worktree", "ipc", "run", "client", "view", "remote"},
    "commands": {"util", "store", "claude", "git", "worktree", "ipc", "run", "holder", "client", "view", "archive", "remote", "search", "dashboard", "cli"},
    "main": {"cli", "commands", "util"},
}

src = pathlib.Path(__file__).resolve().parent.parent / "src"
crate_path = re.compile(r"\bcrate::(\{[^}]*\}|\w+)")
super_path = re.compile(r"\b((?:super::)+)(\w+)")
breaches = []
unknown = set()


def module_path(file):
    parts = list(file.relative_to(src).with_suffix("").parts)
    if parts[-1] == "mod":
        parts.pop()
    if parts == ["main"]:
        return []
    return parts


def layer_of(file):
    parts = file.relative_to(src).parts
    return "main" if parts == ("main.rs",) else parts[0].removesuffix(".rs")


for file in sorted(src.rglob("*.rs")):
    layer = layer_of(file)
    if layer not in RULE:
        unknown.add(layer)
        continue
    here = module_path(file)
    # A file's own module is the parent of its items: `super` from `a/b.rs`
    # is `a`, from `a/b/mod.rs` also `a`.
    for n, line in enumerate(file.read_text().splitlines(), 1):
        code = line.split("//", 1)[0]
        used = set()
        for m in crate_path.finditer(code):
            target = m.group(1)
            if target.startswith("{"):
                used.update(re.findall(r"(?:^|[{,])\s*(\w+)", target))
            else:
                used.add(target)
        for m in super_path.finditer(code):
            depth = m.group(1).count("super::")
            base = here[: len(here) - depth] if depth <= len(here) else None
            if base is None:
                continue
            path = base + [m.group(2)]
            used.add(path[0])
        for target in used:
            if target in ("self",) or target == layer:
                continue
            if target not in RULE:
                continue  # an item of the crate root, e.g. a macro
            if target not in RULE[layer]:
                breaches.append(f"{file.relative_to(src.parent)}:{n}: {layer} uses {target}: {line.strip()}")

def mapped_files(hacking):
    """The files of src/ that HACKING.md's first text block under "## Layout"
    names: a name per line (or several .rs on one line), indented two spaces
    a level, dirs ending in '/'."""
    text = hacking.read_text()
    block = text.split("## Layout", 1)[1].split("```text", 1)[1].split("```", 1)[0]
    stack, files = [], set()
    for line in block.splitlines():
        if not line.strip():
            continue
        depth = (len(line) - len(line.lstrip(" "))) // 2
        names = []
        for word in line.split():
            if word.endswith(".rs") or (word.endswith("/") and not names):
                names.append(word)
            else:
                break
        if not names:
            continue
        if names[0].endswith("/"):
            del stack[depth:]
            stack.append(names[0].rstrip("/"))
            continue
        for name in names:
            files.add("/".join(stack[:depth] + [name]))
    return files


mapped = mapped_files(src.parent / "HACKING.md")
actual = {str(p.relative_to(src.parent)) for p in src.rglob("*.rs")}
for missing in sorted(actual - mapped):
    breaches.append(f"HACKING.md's map does not name {missing}")
for extra in sorted(mapped - actual):
    breaches.append(f"HACKING.md's map names {extra}, which does not exist")

if unknown:
    breaches.append(f"src/ has folders the rule does not name: {', '.join(sorted(unknown))} (add them to RULE and HACKING.md)")
if breaches:
    print("layer rule or map broken (see HACKING.md, \"Layers\" and \"Layout\"):", file=sys.stderr)
    for b in breaches:
        print("  " + b, file=sys.stderr)
    sys.exit(1)
print(f"layers: ok ({len(list(src.rglob('*.rs')))} files)")
