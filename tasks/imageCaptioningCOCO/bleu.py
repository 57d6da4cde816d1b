"""Caption BLEU used by evaluate.py: the variant MLGym's imageCaptioningCOCO baseline measured.

MLGym's baseline scored each generated caption with
    nltk.translate.bleu_score.sentence_bleu([reference], hypothesis)
where both arguments are strings: the caption lower-cased, split into words (nltk's
word_tokenize) and joined again with single spaces. nltk walks a string character by character,
so that call is a *character-level* BLEU-4:
  - n-grams of characters (spaces included), n = 1..4, weights 0.25 each;
  - modified (clipped) n-gram precision against the reference(s);
  - no smoothing (nltk's method0): a hypothesis without any matching unigram scores exactly 0,
    and an order without any match has its precision replaced by the smallest positive float,
    which drives the score to about 1e-77;
  - nltk's brevity penalty with the closest reference length (ties: the shorter one);
  - no auto re-weighting.
`sentence_bleu` below reproduces nltk 3.8-3.10's result for the same inputs to the last bit
(checked against nltk 3.10.4). MLGym's published baseline (0.2794) is on this scale.

MLGym compared each caption with ONE reference drawn at random among the image's captions.
`caption_score` averages the score over every reference instead: that is the expected value of
MLGym's number for the caption, without the luck of the draw.

Tokenisation: nltk and its punkt data are not in the image, so `normalize` approximates
word_tokenize with a regular expression: lower-case, words (letters/digits, inner hyphens,
apostrophes and decimal points kept), every other punctuation mark a token of its own, joined
with single spaces. "A dog's ball." becomes "a dog 's ball ."; it differs from nltk only on rare
forms such as "don't" ("don 't" here, "do n't" in nltk). MLGym also dropped words rarer than
5 occurrences from its references (its vocabulary's unknown words); here references keep them.
"""

import math
import re
import sys
from collections import Counter

MAX_ORDER = 4
WEIGHTS = (0.25, 0.25, 0.25, 0.25)

_TOKEN = re.compile(r"[^\W_]+(?:[-.][^\W_]+)*|'[^\W_]+|[^\w\s]|_")


def normalize(text):
    """Lower-case `text` and put single spaces between its words and punctuation marks."""
    return " ".join(_TOKEN.findall(text.lower()))


def _ngram_counts(text, n):
    return Counter(text[i:i + n] for i in range(len(text) - n + 1))


class Reference:
    """A reference caption with its character n-gram counts computed once."""

    def __init__(self, text):
        self.text = normalize(text)
        self.counts = [_ngram_counts(self.text, n) for n in range(1, MAX_ORDER + 1)]


def sentence_bleu(references, hypothesis):
    """Character BLEU-4 of the normalised string `hypothesis` against a list of `Reference`s,
    computed as nltk's sentence_bleu([ref.text, ...], hypothesis) with default arguments."""
    numerators, denominators = [], []
    for n in range(1, MAX_ORDER + 1):
        counts = _ngram_counts(hypothesis, n)
        clipped = 0
        for gram, count in counts.items():
            clipped += min(count, max(ref.counts[n - 1].get(gram, 0) for ref in references))
        numerators.append(clipped)
        denominators.append(max(1, sum(counts.values())))
    if numerators[0] == 0:
        return 0.0
    hyp_len = len(hypothesis)
    closest = min((len(ref.text) for ref in references), key=lambda length: (abs(length - hyp_len), length))
    brevity = 1.0 if hyp_len > closest else math.exp(1 - closest / hyp_len)
    # nltk keeps zero precisions as the smallest positive float (so log() is defined).
    logs = [w * math.log(num / den if num else sys.float_info.min)
            for w, num, den in zip(WEIGHTS, numerators, denominators)]
    return brevity * math.exp(math.fsum(logs))


def caption_score(references, caption):
    """Mean over `references` (a list of `Reference`) of the single-reference BLEU of `caption`."""
    hypothesis = normalize(caption)
    return sum(sentence_bleu([ref], hypothesis) for ref in references) / len(references)
