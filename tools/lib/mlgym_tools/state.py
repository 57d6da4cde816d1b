"""The tools' memory between commands (each command is a fresh process): open file, first line shown."""
import json
import os


def _path():
    return os.environ.get("MLGYM_STATE") or os.path.join(os.path.expanduser("~"), ".mlgym_state.json")


def load():
    # The agent can overwrite this file with anything; a broken state means "nothing open".
    try:
        with open(_path(), encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return {"open_file": None, "first_line": 1}
    if not isinstance(data, dict):
        data = {}
    open_file = data.get("open_file")
    first_line = data.get("first_line")
    return {
        "open_file": open_file if isinstance(open_file, str) else None,
        "first_line": first_line if isinstance(first_line, int) and first_line >= 1 else 1,
    }


def save(open_file, first_line):
    path = _path()
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump({"open_file": open_file, "first_line": first_line}, f)
    # Rename so a command killed by its timeout never leaves a half-written state behind.
    os.replace(tmp, path)
