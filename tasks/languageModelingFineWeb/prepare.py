"""Builds the data of the FineWeb language-modelling task.

    python3 prepare.py --out DIR                the real data, downloaded from Hugging Face
    python3 prepare.py --out DIR --source SRC   the real data from a folder of downloaded shards
    python3 prepare.py --out DIR --small        a small synthetic stand-in, offline and seeded

The real data is modded-nanogpt's GPT-2-tokenised FineWeb-10B (Hugging Face dataset
kjj0/fineweb10B-gpt2), as MLGym uses it: the 24 training shards fineweb_train_000001.bin ..
fineweb_train_000024.bin (about 100M tokens each, 2.4B in all) and the validation shard
fineweb_val_000000.bin, which scores the submission. Both variants write
    DIR/public/fineweb10B/fineweb_train_0000NN.bin   training tokens (the agent's data/)
    DIR/hidden/fineweb10B/fineweb_val_000000.bin     the held-out tokens the evaluator scores
Every shard has the same binary layout: a header of 256 int32 (magic 20240520, version 1, number
of tokens, zeros), then the tokens as uint16 (GPT-2 ids, 50256 = <|endoftext|> starts each
document).
"""

import argparse
import os
import shutil
import sys

import numpy as np

HF_REPO = "kjj0/fineweb10B-gpt2"
HF_URL = f"https://huggingface.co/datasets/{HF_REPO}"
TRAIN_SHARDS = [f"fineweb_train_{i:06d}.bin" for i in range(1, 25)]  # MLGym's 2.4B tokens
TEST_SHARD = "fineweb_val_000000.bin"
SUBDIR = "fineweb10B"  # MLGym's baseline reads ./data/fineweb10B/fineweb_train_*.bin

MAGIC, VERSION, HEADER_INTS = 20240520, 1, 256
EOT = 50256  # GPT-2's <|endoftext|>, which opens every document in the shards


def write_shard(path, tokens):
    header = np.zeros(HEADER_INTS, dtype=np.int32)
    header[:3] = MAGIC, VERSION, len(tokens)
    with open(path, "wb") as handle:
        handle.write(header.tobytes())
        handle.write(np.asarray(tokens, dtype=np.uint16).tobytes())


def check_shard(path):
    """Exit with a message unless `path` is a complete shard in the format above."""
    with open(path, "rb") as handle:
        header = np.frombuffer(handle.read(HEADER_INTS * 4), dtype=np.int32)
    if len(header) != HEADER_INTS or header[0] != MAGIC or header[1] != VERSION:
        sys.exit(f"prepare.py: {path} is not a token shard (bad header: expected magic {MAGIC}, "
                 f"version {VERSION}).")
    expected = HEADER_INTS * 4 + 2 * int(header[2])
    if os.path.getsize(path) != expected:
        sys.exit(f"prepare.py: {path} is truncated or damaged: its header announces {header[2]} "
                 f"tokens ({expected} bytes) but the file has {os.path.getsize(path)} bytes.")


# ---------------------------------------------------------------------------------------------
# The real data


def how_to_download():
    names = f"{TRAIN_SHARDS[0]} .. {TRAIN_SHARDS[-1]} (24 shards) and {TEST_SHARD}"
    return (f"Download {names} from {HF_URL} (the files of modded-nanogpt's "
            f"data/cached_fineweb10B.py, about 200 MB each), put them in one folder and pass it "
            f"with --source (npx mlgym tasks prepare languageModelingFineWeb --source DIR). Use "
            f"--small for the synthetic offline variant.")


def find_in_source(source, name):
    for candidate in (os.path.join(source, name), os.path.join(source, SUBDIR, name)):
        if os.path.isfile(candidate):
            return candidate
    sys.exit(f"prepare.py: {name} is not in {source} (nor in {source}/{SUBDIR}). " + how_to_download())


def download(name):
    """One shard through the Hugging Face cache (HF_HOME); exits with advice when unreachable."""
    os.environ["HF_HUB_OFFLINE"] = "0"  # the image sets it to 1; the full prepare runs networked
    try:
        from huggingface_hub import hf_hub_download
        return hf_hub_download(repo_id=HF_REPO, filename=name, repo_type="dataset")
    except Exception as error:  # no network, no such file, hub down: all end the same way
        sys.exit(f"prepare.py: could not download {name} from {HF_URL}: "
                 f"{type(error).__name__}: {error}\n" + how_to_download())


def prepare_full(out, source):
    public, hidden = os.path.join(out, "public", SUBDIR), os.path.join(out, "hidden", SUBDIR)
    # Resolve every file first, so a missing one fails before anything is copied.
    names = [TEST_SHARD] + TRAIN_SHARDS
    paths = {}
    for name in names:
        paths[name] = find_in_source(source, name) if source else download(name)
        check_shard(paths[name])
        print(f"found {name}", flush=True)
    os.makedirs(public, exist_ok=True)
    os.makedirs(hidden, exist_ok=True)
    for name in names:
        shutil.copyfile(paths[name], os.path.join(hidden if name == TEST_SHARD else public, name))


# ---------------------------------------------------------------------------------------------
# The small synthetic variant: documents from a mixture of sparse Markov chains ("topics") over a
# few hundred GPT-2 ids. The topics share most of their words, so the previous token alone is an
# ambiguous guide to the next one, and a model that infers the topic from the rest of the
# document (attention) predicts much better than a bigram model.

SMALL_SEED = 20240520
WORDS = 256            # distinct GPT-2 ids in use, besides <|endoftext|>
TOPICS = 6
TOPIC_WORDS = 160      # words each topic uses, drawn from the WORDS
SUCCESSORS = 4         # possible next words of each word within a topic
MEAN_DOC_LENGTH = 120  # words per document, geometrically distributed
SMALL_TRAIN = [524_288, 524_288]  # tokens in each training shard
SMALL_TEST = 16 * 1024 + 1        # 16 evaluation sequences of 1024 tokens (+1 for the last target)


def make_language(rng):
    words = np.sort(rng.choice(EOT, size=WORDS, replace=False))
    topics = []
    for _ in range(TOPICS):
        vocab = rng.choice(words, size=TOPIC_WORDS, replace=False)
        chain = {}
        for word in vocab:
            nexts = rng.choice(vocab, size=SUCCESSORS, replace=False)
            cumulative = np.cumsum(rng.dirichlet(np.ones(SUCCESSORS)))
            chain[int(word)] = ([int(w) for w in nexts], [float(c) for c in cumulative])
        topics.append(([int(w) for w in vocab], chain))
    return topics


def sample_tokens(topics, count, rng):
    """`count` tokens of back-to-back documents, each <|endoftext|> then its words."""
    tokens = []
    uniforms = iter(rng.random(2 * count).tolist())  # drawn in bulk: a Python loop reads them
    while len(tokens) < count:
        vocab, chain = topics[int(rng.integers(TOPICS))]
        length = int(rng.geometric(1.0 / MEAN_DOC_LENGTH))
        word = vocab[int(rng.integers(len(vocab)))]
        tokens.append(EOT)
        for _ in range(length):
            tokens.append(word)
            nexts, cumulative = chain[word]
            u, i = next(uniforms), 0
            while i < SUCCESSORS - 1 and u > cumulative[i]:
                i += 1
            word = nexts[i]
    return tokens[:count]


def prepare_small(out):
    public, hidden = os.path.join(out, "public", SUBDIR), os.path.join(out, "hidden", SUBDIR)
    os.makedirs(public, exist_ok=True)
    os.makedirs(hidden, exist_ok=True)
    topics = make_language(np.random.default_rng(SMALL_SEED))
    # One stream per shard, each seeded on its own, so the shards never overlap.
    for index, count in enumerate(SMALL_TRAIN, start=1):
        stream = np.random.default_rng([SMALL_SEED, index])
        write_shard(os.path.join(public, f"fineweb_train_{index:06d}.bin"), sample_tokens(topics, count, stream))
    write_shard(os.path.join(hidden, TEST_SHARD), sample_tokens(topics, SMALL_TEST, np.random.default_rng([SMALL_SEED, 0])))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="output folder (gets public/ and hidden/)")
    parser.add_argument("--small", action="store_true", help="synthetic offline variant")
    parser.add_argument("--source", help="folder holding the downloaded shards (no download)")
    args = parser.parse_args()
    if args.small:
        prepare_small(args.out)
    else:
        prepare_full(args.out, args.source)
    print(f"prepare.py: wrote {args.out}/public and {args.out}/hidden")


if __name__ == "__main__":
    main()
