"""Baseline strategy for the iterated Prisoner's Dilemma (you are the row player).

Edit `row_strategy` to play better, but keep its name and signature: the evaluator calls
`row_strategy(history)` once per round. `history` lists the earlier rounds of the current game,
oldest first, as (your_move, opponent_move) tuples; it is empty in the first round.
Return 0 (cooperate) or 1 (defect).
"""
import random


def row_strategy(history):
    if not history:
        return random.randint(0, 1)  # open with a coin flip
    my_last, opponent_last = history[-1]
    draw = random.random()
    if opponent_last == 1:  # they defected: usually retaliate
        if draw < 0.75:
            return 1
        return my_last if draw < 0.9 else 0
    # they cooperated: usually cooperate back
    if draw < 0.6:
        return 0
    return my_last if draw < 0.9 else 1
