"""What identifies a result: settings that never count, nested differences, stable digests."""

import hashlib
import json

from saeinit.data.activations import CollectConfig
from saeinit.identity import changed, differing, digest, identity
from saeinit.training.settings import RunConfig, config_from_settings, run_key


def test_how_a_run_goes_is_not_what_it_is():
    plain = identity(config_from_settings({"scenario": "16x32"}))
    busy = identity(config_from_settings({"scenario": "16x32", "threads": 2, "progress": False}))
    assert plain == busy and "threads" not in plain["train"] and "save_under" not in plain
    assert plain["data"]["dim"] == 16  # the toy section keeps the name stored keys were made with


def test_a_collection_is_identified_by_what_it_reads_not_how_much_or_how_fast():
    names = set(identity(CollectConfig()))
    assert names == {
        "model", "layer", "site", "corpus", "text_field", "context_size", "dtype", "special_tokens",
    }  # fmt: skip


def test_changed_keeps_only_nested_differences():
    values = {"a": {"x": 1, "y": 2}, "b": 3, "c": {"z": 0}}
    defaults = {"a": {"x": 1, "y": 0}, "b": 3, "c": {"z": 0}}
    assert changed(values, defaults) == {"a": {"y": 2}}


def test_differing_names_shared_fields_only():
    stored = {"init": {"mod_iters": 10, "old": 1}, "seed": 0}
    now = {"init": {"mod_iters": 5, "new": 2}, "seed": 0}
    assert differing(stored, now) == ["init.mod_iters"]


def test_digest_is_the_sha256_of_sorted_json():
    expected = hashlib.sha256(json.dumps({"a": 1, "b": 2}).encode()).hexdigest()[:8]
    assert digest({"b": 2, "a": 1}, 8) == expected


def test_run_keys_are_those_of_stores_written_before_the_redesign():
    settings = {"init": "orthogonal", "max_steps": 150, "scenario": "16x32"}
    assert run_key(config_from_settings(settings | {"seed": 0})) == "6a337bd9f8a3bf8f"
    assert run_key(config_from_settings(settings | {"seed": 1, "threads": 1})) == (
        "1ef3d1c08d613cce"
    )
    assert run_key(RunConfig()) == digest({}, 16)  # all defaults: nothing changed
