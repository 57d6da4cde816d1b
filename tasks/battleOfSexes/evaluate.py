"""Scores strategy.py at the Battle of the Sexes against the partner in target.py.

Usage: python3 evaluate.py [path/to/strategy.py]   (default: strategy.py next to this file)
Only the rules of the game are here. match_engine.py, shared by the game tasks, plays the games
(see run_matches there for what it prints and when a strategy fails).
"""

import sys

sys.dont_write_bytecode = True  # so importing the engine writes no __pycache__ where it is run
import match_engine  # noqa: E402  (after the line above on purpose)

# Row player's payoff for (your move, partner's move): matching on 0 pays you 2, matching on 1
# pays you 1, not matching pays nothing.
ROW_PAYOFF = {(0, 0): 2, (0, 1): 0, (1, 0): 0, (1, 1): 1}
check_move, row_payoff = match_engine.matrix_game(ROW_PAYOFF, "a move must be the integer 0 or 1")

if __name__ == "__main__":
    match_engine.run_matches(check_move=check_move, payoff=row_payoff, rounds=10, simulations=10000,
                             evaluator_path=__file__)
