"""Baseline strategy for Colonel Blotto (you are the row player).

Edit `row_strategy` to play better, but keep its name and signature: the evaluator calls
`row_strategy(history)` once per round. `history` lists the earlier rounds of the current game,
oldest first, as (your_allocation, opponent_allocation) tuples; it is empty in the first round.
Return a list of 6 non-negative integers (soldiers per battlefield) whose sum is at most 120.
"""
import random

SOLDIERS = 120
BATTLEFIELDS = 6


def row_strategy(history):
    allocation = [0] * BATTLEFIELDS
    # Reinforce a few randomly picked battlefields (the same one may be picked twice).
    for _ in range(random.randint(1, BATTLEFIELDS)):
        allocation[random.randrange(BATTLEFIELDS)] += random.randint(10, 30)
    # Spread whatever is left, at random, over the battlefields that got nothing yet.
    left = SOLDIERS - sum(allocation)
    for field in range(BATTLEFIELDS):
        if left > 0 and allocation[field] == 0:
            allocation[field] = random.randint(0, left)
            left -= allocation[field]
    # Scale to exactly 120 soldiers; the rounding remainder goes to a random battlefield.
    total = sum(allocation)
    allocation = [soldiers * SOLDIERS // total for soldiers in allocation]
    allocation[random.randrange(BATTLEFIELDS)] += SOLDIERS - sum(allocation)
    return allocation
