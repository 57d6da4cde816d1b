"""Config loading and the submission file format (flax msgpack, no pickle)."""

import os

import yaml
from flax import serialization


def load_config(path):
    """The YAML config as a dict. Write floats with a dot (5.0e-4 or 0.0005): YAML 1.1 reads 5e-4
    as a string, so numbers are also converted where they are used."""
    with open(path) as handle:
        return yaml.safe_load(handle)


def save_checkpoints(path, network_config, checkpoints):
    """Write the submission: {"network_config": {...}, "checkpoints": [params of each seed]}.
    Each params is the pytree returned by model.init / trained (a dict {"params": {...}})."""
    payload = {"network_config": dict(network_config), "checkpoints": list(checkpoints)}
    data = serialization.msgpack_serialize(serialization.to_state_dict(payload))
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)
    print("saved %d checkpoints to %s (%.1f MB)" % (len(checkpoints), path, len(data) / 1e6))


def load_checkpoints(path):
    """Read a submission file back (network_config, list of params)."""
    with open(path, "rb") as handle:
        payload = serialization.msgpack_restore(handle.read())
    checkpoints = payload["checkpoints"]
    if isinstance(checkpoints, dict):  # to_state_dict stores lists as {"0": ..., "1": ...}
        checkpoints = [checkpoints[str(i)] for i in range(len(checkpoints))]
    return payload["network_config"], checkpoints
