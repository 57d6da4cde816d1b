"""Scores strategy.py at Colonel Blotto against the opponent in target.py.

Usage: python3 evaluate.py [path/to/strategy.py]   (default: strategy.py next to this file)
This file holds the rules: which allocations are legal and who wins a round. match_engine.py,
shared by the game tasks, runs the strategy in a sandboxed process and plays the games (see
run_matches there for what it prints and when a strategy fails).
"""

import sys

sys.dont_write_bytecode = True  # so importing the engine writes no __pycache__ where it is run
import match_engine  # noqa: E402  (after the line above on purpose)

SOLDIERS = 120  # budget of each side
BATTLEFIELDS = 6


def check_move(move):
    """Return why `move` is not a legal allocation, or None when it is legal."""
    if not isinstance(move, list) or len(move) != BATTLEFIELDS:
        return "an allocation must be a list of %d integers" % BATTLEFIELDS
    if any(type(soldiers) is not int or soldiers < 0 for soldiers in move):
        return "every battlefield needs a non-negative integer number of soldiers"
    if sum(move) > SOLDIERS:
        return "the allocation uses %d soldiers, more than the %d available" % (sum(move), SOLDIERS)
    return None


def row_payoff(row_move, column_move):
    """+1 when you win more battlefields than the opponent, -1 when you win fewer, 0 otherwise.
    A battlefield goes to the side with more soldiers on it; equal numbers win it for nobody."""
    won = sum(mine > theirs for mine, theirs in zip(row_move, column_move))
    lost = sum(mine < theirs for mine, theirs in zip(row_move, column_move))
    return (won > lost) - (won < lost)


if __name__ == "__main__":
    match_engine.run_matches(check_move=check_move, payoff=row_payoff, rounds=10, simulations=10000,
                             evaluator_path=__file__)
