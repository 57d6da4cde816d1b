"""Your opponent in the iterated Prisoner's Dilemma: the column player.

Moves: 0 = cooperate, 1 = defect. The evaluator calls `target_column_strategy(history)` once per
round, with the same history your strategy receives: a list of (your_move, opponent_move) pairs,
oldest first.

The opponent is a crowd of well-known strategies: every round it draws one of the eleven entries
of `POOL` uniformly at random (a fresh draw each round) and plays that strategy's move.
"""
import random


def noisy_copier(history):
    """Defects first; then cooperates 1/3 of the time, defects 1/6, repeats its own last move 0.4
    and plays the opposite of your last move 0.1 of the time."""
    if not history:
        return 1
    yours, mine = history[-1]
    draw = random.random()
    if draw < 1 / 3:
        return 0
    if draw < 0.5:
        return 1
    if draw < 0.9:
        return mine
    return 1 - yours


def tit_for_tat(history):
    """Cooperates first, then repeats your last move."""
    return history[-1][0] if history else 0


def always_cooperate(history):
    return 0


def always_defect(history):
    return 1


def coin_flip(history):
    """Cooperates or defects with equal probability."""
    return random.randint(0, 1)


def grim_trigger(history):
    """Cooperates until you defect once, then defects for the rest of the game."""
    return 1 if any(yours == 1 for yours, _ in history) else 0


def pavlov(history):
    """Cooperates first; then cooperates when both players made the same move last round."""
    if not history:
        return 0
    yours, mine = history[-1]
    return 0 if yours == mine else 1


def tit_for_two_tats(history):
    """Defects only when you defected in each of the last two rounds."""
    if len(history) >= 2 and history[-1][0] == 1 and history[-2][0] == 1:
        return 1
    return 0


def suspicious_tit_for_tat(history):
    """Defects first, then repeats your last move."""
    return history[-1][0] if history else 1


def forgiving_tit_for_tat(history):
    """Repeats your last move, but forgives (cooperates) after two defections in a row."""
    if not history:
        return 0
    if len(history) >= 2 and history[-1][0] == 1 and history[-2][0] == 1:
        return 0
    return history[-1][0]


# The coin flip appears twice: two of the eleven members of the crowd play at random.
POOL = [
    noisy_copier, tit_for_tat, always_cooperate, always_defect, coin_flip, grim_trigger,
    pavlov, tit_for_two_tats, suspicious_tit_for_tat, coin_flip, forgiving_tit_for_tat,
]


def target_column_strategy(history):
    """Return the opponent's move (0 or 1) for the coming round."""
    return random.choice(POOL)(history)
