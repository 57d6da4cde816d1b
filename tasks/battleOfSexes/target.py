"""Your partner in the Battle of the Sexes: the column player.

Moves are 0 and 1. The partner prefers 1 (it earns 2 when you both pick 1, and 1 when you both
pick 0). The evaluator calls `target_column_strategy(history)` once per round, with the same
history your strategy receives: a list of (your_move, partner_move) pairs, oldest first.
"""
import random

# How often the partner goes along with the choice you made in the opening round.
FOLLOW_PROBABILITY = 0.8


def target_column_strategy(history):
    """Return the partner's move (0 or 1) for the coming round."""
    if not history:
        return 1  # opens with its own favourite
    opening_choice = history[0][0]
    if random.random() < FOLLOW_PROBABILITY:
        return opening_choice
    return 1 - opening_choice
