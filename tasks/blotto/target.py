"""Your opponent in Colonel Blotto: the column player.

The evaluator calls `target_column_strategy(history)` once per round, with the same history your
strategy receives: a list of (your_allocation, opponent_allocation) pairs, oldest first. The
opponent ignores the history: every round it draws a fresh random allocation of all 120 soldiers.
"""
import random

SOLDIERS = 120
BATTLEFIELDS = 6


def target_column_strategy(history):
    """Return the opponent's allocation: a list of 6 non-negative integers summing to 120."""
    weights = [0] * BATTLEFIELDS
    while sum(weights) == 0:
        # One uniform draw in 0..120 per battlefield, then scaled to the budget.
        weights = [random.randint(0, SOLDIERS) for _ in range(BATTLEFIELDS)]
    total = sum(weights)
    allocation = [w * SOLDIERS // total for w in weights]
    # Rounding down leaves a few soldiers over; they all go to one battlefield chosen at random.
    allocation[random.randrange(BATTLEFIELDS)] += SOLDIERS - sum(allocation)
    return allocation
