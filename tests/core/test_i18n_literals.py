"""No "中文 / English" literal in the product's Python code (issue 16 §3).

User-facing text goes through Django i18n: the Simplified Chinese half is the source string in
`gettext`, the English half lives in locale/en/LC_MESSAGES/django.po, and the request's language
picks one. A string literal that carries both halves bypasses that, so this test reads every
product module (not tests/, bench/, migrations or node_modules) and fails on one.

A literal counts when it holds a CJK character, then "/ " and a tail with no CJK that has an
English word — implicit concatenation and f-strings are joined first, docstrings are skipped.
"""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIP_DIRS = {"tests", "bench", "migrations", "node_modules", "var", "static", "staticfiles", "__pycache__",
             "test-artifacts", "docs", "deploy", "docker"}
BILINGUAL = re.compile(r"[\u4e00-\u9fff][^\n]*?/\s+(?=[^\u4e00-\u9fff]*[A-Za-z]{2})[^\u4e00-\u9fff]*\Z")

# (where, role) → why the text stays bilingual. `role` is the keyword, dict key or assigned name
# the literal is the value of, or the function it is passed to.
ALLOWED = {
    # argparse formats --help text with re.sub at class definition, before any language is
    # chosen (a lazy string fails there); operators of either language read the same help.
    ("/management/commands/", "help"): "manage.py --help text",
    # TileJSON and MapLibre style metadata are read by map clients, not people, and are one
    # cached document for every client (no Vary: Accept-Language on tiles).
    ("tiles/layers.py", "description"): "TileJSON vector_layers descriptions",
    ("tiles/views.py", "_tilejson"): "TileJSON descriptions",
    ("tiles/style.py", "name"): "style names",
    # The OpenAPI document is generated once for API clients and code generators.
    ("project/settings.py", "TITLE"): "OpenAPI title",
}


def product_modules():
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.startswith(".")]
        for name in files:
            if name.endswith(".py"):
                yield Path(folder, name)


def _roles(tree: ast.AST) -> dict[int, str]:
    """Each string node's role: the keyword / dict key / assigned name / called function it feeds."""
    roles: dict[int, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg:
            roles[id(node.value)] = node.arg
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values):
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    roles[id(value)] = key.value
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    roles[id(node.value)] = target.id
        elif isinstance(node, ast.Call):
            func = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            for arg in node.args:
                roles.setdefault(id(arg), func)
    # A conditional expression passes its role on to both branches.
    for node in ast.walk(tree):
        if isinstance(node, ast.IfExp) and id(node) in roles:
            roles.setdefault(id(node.body), roles[id(node)])
            roles.setdefault(id(node.orelse), roles[id(node)])
    return roles


def bilingual_literals(path: Path) -> list[tuple[int, str, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                  and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    inside_fstrings = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
    roles = _roles(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
              and id(node) not in docstrings and id(node) not in inside_fstrings):
            text = node.value
        else:
            continue
        if BILINGUAL.search(text):
            found.append((node.lineno, roles.get(id(node), ""), text))
    return found


def allowed(relative: str, role: str) -> bool:
    return any(where in "/" + relative and role == allowed_role for where, allowed_role in ALLOWED)


def test_the_detector_finds_the_forms_it_should():
    def finds(source: str) -> bool:
        return bool(BILINGUAL.search(source))

    assert finds("没有这个历史版本 / no such version: 3")
    assert finds("照片须为解码后的 BMP/JPEG/PNG（不接收 WLT）/ send the decoded photo")
    assert finds("须有 1 到 50 个网格 / 1 to 50 grids")
    assert not finds("导入/导出摄像机")  # a slash inside Chinese
    assert not finds("像素/米") and not finds("GB/T 3304") and not finds("房间已满（2/2 人）")
    assert not finds("川坊 76,300 人 / 24 个网格")  # Chinese on both sides of the slash


def test_no_bilingual_literal_in_product_code():
    offenders = []
    for path in product_modules():
        relative = path.relative_to(ROOT).as_posix()
        for line, role, text in bilingual_literals(path):
            if not allowed(relative, role):
                offenders.append(f"{relative}:{line} {text[:80]!r}")
    assert offenders == [], ("put the Chinese half in gettext and the English half in "
                             "locale/en/LC_MESSAGES/django.po:\n" + "\n".join(offenders))


def test_the_allow_list_is_still_needed():
    """Each allow-list entry still matches something: a stale entry is removed, not kept."""
    used = set()
    for path in product_modules():
        relative = path.relative_to(ROOT).as_posix()
        for _line, role, _text in bilingual_literals(path):
            used.update((where, r) for where, r in ALLOWED if where in "/" + relative and r == role)
    assert used == set(ALLOWED)
