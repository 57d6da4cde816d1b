"""search_dir, search_file and find_file: literal, case-sensitive searches with capped listings."""
import fnmatch
import os

from . import files
from .cli import UsageError
from .viewer import current_file

MAX_LISTED = 100
# Larger files are skipped by search_dir: scanning datasets would outlast the command timeout.
MAX_SEARCH_BYTES = 10 * 1024 * 1024


def search_dir(argv):
    if len(argv) not in (1, 2):
        raise UsageError("usage: search_dir <term> [<dir>]")
    term = _term(argv[0])
    root = _directory(argv[1] if len(argv) == 2 else ".")
    needle = term.encode(files.ENCODING, files.ERRORS)
    hits, skipped = [], 0
    for path in _walk(root):
        try:
            if os.path.getsize(path) > MAX_SEARCH_BYTES:
                skipped += 1
                continue
            count = _count_matching_lines(path, needle)
        except OSError:
            continue  # unreadable (permissions, vanished): not the agent's concern here
        if count:
            hits.append((path, count))
    if not hits:
        print(f'No matches found for "{term}" in {root}')
    else:
        total = sum(count for _, count in hits)
        print(f'Found {total} matches for "{term}" in {root} ({len(hits)} files):')
        print("\n".join(f"{path} ({count} matches)" for path, count in hits[:MAX_LISTED]))
        if len(hits) > MAX_LISTED:
            print(f"... and {len(hits) - MAX_LISTED} more files; use a more specific term or directory.")
        print(f'End of matches for "{term}" in {root}')
    if skipped:
        print(f"({skipped} files larger than {MAX_SEARCH_BYTES // (1024 * 1024)} MB were not searched)")


def search_file(argv):
    if len(argv) not in (1, 2):
        raise UsageError("usage: search_file <term> [<file>]")
    term = _term(argv[0])
    if len(argv) == 2:
        path = os.path.abspath(argv[1])
        files.check_text_file(path)
    else:
        path = current_file()[0]
    hits = []
    with open(path, "rb") as f:
        for number, raw in enumerate(f, 1):
            line = raw.decode(files.ENCODING, files.ERRORS).rstrip("\r\n")
            if term in line:
                hits.append(f"Line {number}: {line}")
    if not hits:
        print(f'No matches found for "{term}" in {path}')
        return
    print(f'Found {len(hits)} matches for "{term}" in {path}:')
    print("\n".join(hits[:MAX_LISTED]))
    if len(hits) > MAX_LISTED:
        print(f"... and {len(hits) - MAX_LISTED} more lines; use a more specific term.")
    print(f'End of matches for "{term}" in {path}')


def find_file(argv):
    if len(argv) not in (1, 2):
        raise UsageError("usage: find_file <name> [<dir>]  (name may hold shell wildcards: *.py)")
    pattern = _term(argv[0])
    root = _directory(argv[1] if len(argv) == 2 else ".")
    found = [p for p in _walk(root) if fnmatch.fnmatchcase(os.path.basename(p), pattern)]
    if not found:
        print(f'No files named "{pattern}" found in {root}')
        return
    print(f'Found {len(found)} files named "{pattern}" in {root}:')
    print("\n".join(found[:MAX_LISTED]))
    if len(found) > MAX_LISTED:
        print(f"... and {len(found) - MAX_LISTED} more; use a more specific name or directory.")


def _term(text):
    if not text:
        raise UsageError("the search term must not be empty")
    return text


def _directory(path):
    if not os.path.isdir(path):
        raise UsageError(f"directory {path} not found")
    return path


def _walk(root):
    """Regular files under root in a stable order, skipping hidden folders (.git) and caches."""
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
        for name in sorted(names):
            path = os.path.join(folder, name)
            if os.path.isfile(path):
                yield path


def _count_matching_lines(path, needle):
    with open(path, "rb") as f:
        if b"\0" in f.read(8192):
            return 0  # binary
        f.seek(0)
        return sum(1 for line in f if needle in line)
