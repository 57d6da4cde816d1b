"""Baseline strategy for the Battle of the Sexes (you are the row player).

Edit `row_strategy` to play better, but keep its name and signature: the evaluator calls
`row_strategy(history)` once per round. `history` lists the earlier rounds of the current game,
oldest first, as (your_move, partner_move) tuples; it is empty in the first round.
Return 0 or 1.
"""
import random


def row_strategy(history):
    if not history:
        return 0  # open with the choice you prefer
    my_last, partner_last = history[-1]
    draw = random.random()
    if draw < 0.1:
        return 0
    if draw < 0.2:
        return 1
    if draw < 0.9:
        return partner_last  # usually go along with what the partner did last round
    return my_last
