"""Shared code of the agent's sandbox tools (tools/bin/*): state, windows, edits, searches."""
