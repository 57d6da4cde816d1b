"""Checks a Python source after an edit: syntax errors, and names that can never be defined.

pyflakes is used when the sandbox has it; otherwise a standard-library check (symtable) finds
undefined global names. Only problems the edit introduced count, so an edit is never blocked by
problems the file already had.
"""
import ast
import builtins
import collections
import symtable
import warnings
from dataclasses import dataclass

# pyflakes messages that mean the code fails when it runs; style warnings (unused imports) never block.
# (UndefinedLocal is left out: its message quotes a line number, which an edit elsewhere shifts.)
_PYFLAKES_BLOCKING = ("UndefinedName", "UndefinedExport", "DuplicateArgument")
# Names a module (or a class body) has besides the builtins.
_MODULE_NAMES = {"__file__", "__builtins__", "__cached__", "__annotations__", "__path__", "__module__", "__qualname__"}


@dataclass(frozen=True)
class Problem:
    line: int
    # No position in the message: problems are compared across an edit that shifts lines.
    message: str

    def __str__(self):
        return f"line {self.line}: {self.message}"


def new_problems(before, after, filename):
    """Problems in `after` (the edited source) that `before` did not have."""
    before_parses = _syntax_problem(before, filename) is None
    syntax = _syntax_problem(after, filename)
    if syntax is not None:
        # A file that was already broken may take several edits to repair; don't block each one.
        return [syntax] if before_parses else []
    old = _name_problems(before, filename) if before_parses else []
    budget = collections.Counter(p.message for p in old)
    fresh = []
    for problem in _name_problems(after, filename):
        if budget[problem.message] > 0:
            budget[problem.message] -= 1
        else:
            fresh.append(problem)
    return fresh


def _syntax_problem(source, filename):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings are not the agent's edit errors
            compile(source, filename, "exec", dont_inherit=True)
    except SyntaxError as err:
        return Problem(err.lineno or 1, f"{type(err).__name__}: {err.msg}")
    except ValueError as err:  # e.g. a NUL byte in the source
        return Problem(1, f"SyntaxError: {err}")
    return None


def _name_problems(source, filename):
    tree = ast.parse(source, filename)
    try:
        from pyflakes import checker, messages
    except ImportError:
        return _undefined_globals(source, filename, tree)
    blocking = tuple(getattr(messages, name) for name in _PYFLAKES_BLOCKING)
    found = checker.Checker(tree, filename=filename).messages
    return sorted(
        (Problem(m.lineno, m.message % m.message_args) for m in found if isinstance(m, blocking)),
        key=lambda p: p.line,
    )


def _undefined_globals(source, filename, tree):
    if any(isinstance(n, ast.ImportFrom) and n.names[0].name == "*" for n in ast.walk(tree)):
        return []  # a star import can define any name
    module = symtable.symtable(source, filename, "exec")
    defined = set(dir(builtins)) | _MODULE_NAMES
    defined.update(s.get_name() for s in module.get_symbols() if s.is_local())
    used = set()
    for table in _tables(module):
        for sym in table.get_symbols():
            if sym.is_declared_global() and sym.is_assigned():
                defined.add(sym.get_name())  # `global x; x = ...` inside a function
            elif sym.is_global() and sym.is_referenced():
                used.add(sym.get_name())
    missing = used - defined
    first_use = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in missing:
            first_use[node.id] = min(first_use.get(node.id, node.lineno), node.lineno)
    return sorted(
        (Problem(first_use.get(name, 1), f"undefined name {name!r}") for name in missing),
        key=lambda p: (p.line, p.message),
    )


def _tables(table):
    yield table
    for child in table.get_children():
        yield from _tables(child)
