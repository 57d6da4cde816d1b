"""Scores strategy.py at the iterated Prisoner's Dilemma against the opponent in target.py.

Usage: python3 evaluate.py [path/to/strategy.py]   (default: strategy.py next to this file)
Only the payoffs of the game are here: the games themselves are played by match_engine.py, the
engine of every game task (its run_matches says what is printed and when a strategy fails).
"""

import sys

sys.dont_write_bytecode = True  # so importing the engine writes no __pycache__ where it is run
import match_engine  # noqa: E402  (after the line above on purpose)

# Row player's payoff for (your move, opponent's move); 0 = cooperate, 1 = defect.
ROW_PAYOFF = {(0, 0): 3, (0, 1): 0, (1, 0): 5, (1, 1): 1}
check_move, row_payoff = match_engine.matrix_game(
    ROW_PAYOFF, "a move must be the integer 0 (cooperate) or 1 (defect)")

if __name__ == "__main__":
    match_engine.run_matches(check_move=check_move, payoff=row_payoff, rounds=10, simulations=10000,
                             evaluator_path=__file__)
