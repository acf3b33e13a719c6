"""The public API at the top of the package, as the README uses it."""

import saeinit


def test_every_public_name_loads_and_the_readme_example_runs():
    for name in saeinit.__all__:
        assert getattr(saeinit, name) is not None
    from saeinit import RunConfig, ToyConfig, TrainConfig, run

    fast = TrainConfig(max_steps=30, eval_every=10, threads=1, progress=False, eval_samples=256)
    out = run(RunConfig(toy=ToyConfig(dim=8, features=16), train=fast))
    assert out.result["steps"] == 30 and out.result["samples"] == 30 * 256
    assert 0.0 < out.result["mmcs_initial"] < 1.0 and out.model.d_sae == 16


def test_an_unknown_name_is_an_attribute_error():
    import pytest

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        saeinit.nope  # noqa: B018
