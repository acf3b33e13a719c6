"""Thinning an init's sample where it crowds: the keep probabilities on hand-made samples,
the rows kept, and the draw of an init request with --thin-cosine (its bad values are in
test_contracts.py with every init option's)."""

import pytest
import torch

from saeinit.config import ConfigError
from saeinit.inits import InitConfig, InitRequest
from saeinit.inits.request import draw_sample
from saeinit.inits.thinning import keep_probabilities, thinned

E = torch.eye(3)


def crowded() -> torch.Tensor:
    """Six copies of e1, six of -e1 and one each of +-e2, +-e3: mean zero, so the rows are
    their own directions. A copy of e1 has 5 others at cosine 1 (the -e1 at -1, the rest at
    0); a singleton has none."""
    return torch.cat([E[0].repeat(6, 1), -E[0].repeat(6, 1), E[1:], -E[1:]])


def test_a_crowd_keeps_about_neighbors_rows_and_a_loner_is_kept():
    chances = keep_probabilities(crowded(), cosine=0.9, neighbors=1)
    assert chances[:12].tolist() == pytest.approx([1 / 5] * 12)
    assert chances[12:].tolist() == [1.0] * 4
    assert keep_probabilities(crowded(), cosine=0.9, neighbors=5).tolist() == [1.0] * 16


def test_the_cosine_decides_who_counts_as_a_neighbor():
    """e1 + 0.5 e2 (and its negative) beside the crowd of e1: cosine 0.894 with e1, so it
    joins the crowd at 0.8 and not at 0.9."""
    sample = torch.cat([crowded(), torch.tensor([[1.0, 0.5, 0.0], [-1.0, -0.5, 0.0]])])
    near = keep_probabilities(sample, cosine=0.8, neighbors=1)
    far = keep_probabilities(sample, cosine=0.9, neighbors=1)
    assert near[0].item() == pytest.approx(1 / 6) and near[-2].item() == pytest.approx(1 / 6)
    assert far[0].item() == pytest.approx(1 / 5) and far[-2].item() == 1.0


def test_a_large_sample_counts_neighbors_among_every_few_rows():
    """40 rows in pairs e1, e1, -e1, -e1, ... and e2: the reference, every second of the 41
    rows, holds 10 of e1, 10 of -e1 and e2. A reference row of e1 matches itself and 9 of the
    20 other reference rows: 9 x 40 / 20 = 18 others of 40; a row outside matches 10 of 21:
    10 x 40 / 21 (19 in truth). The loner e2, in the reference, has none."""
    sample = torch.cat([torch.stack([E[0], E[0], -E[0], -E[0]]).repeat(10, 1), E[1:2]])
    chances = keep_probabilities(sample, cosine=0.9, neighbors=1, reference_rows=21)
    sample_rows = 41  # reference: rows 0, 2, ..., 40
    in_reference = 9 * (sample_rows - 1) / 20
    assert chances[0].item() == pytest.approx(1 / in_reference)
    assert chances[1].item() == pytest.approx(1 / (10 * (sample_rows - 1) / 21))
    assert chances[40].item() == 1.0


def test_thinned_keeps_every_loner_and_draws_the_crowd_from_the_generator():
    def kept(seed):
        return thinned(crowded(), 0.9, 1, torch.Generator().manual_seed(seed))

    first, again = kept(0), kept(0)
    assert torch.equal(first, again)
    assert torch.equal(first[-4:], torch.cat([E[1:], -E[1:]]))
    crowd_kept = [len(kept(seed)) - 4 for seed in range(400)]
    assert sum(crowd_kept) / 400 == pytest.approx(12 / 5, abs=0.25)


def test_an_init_request_draws_its_sample_thinned():
    rows = crowded().repeat(4, 1)  # each copy of e1 now has 23 others; loners 3

    def request(**options):
        config = InitConfig(init="data", **options)
        generator = torch.Generator().manual_seed(0)
        return InitRequest(4, 3, generator, lambda n: rows[:n], config)

    assert len(draw_sample(request(), 64)) == 64
    sample = draw_sample(request(thin_cosine=0.9, thin_neighbors=3), 64)
    assert 16 <= len(sample) < 40  # the 16 loners' copies each kept with chance 1, crowd 3/23


def test_an_init_left_short_of_samples_by_thinning_names_thin_cosine():
    """The crowded sample keeps its 4 loners and each of its 12 crowded rows with chance 1/5:
    fewer than the 12 rows the data init needs for 12 atoms, but for 8 of 12 chances of 1/5."""
    config = InitConfig(init="data", init_samples=16, thin_cosine=0.9, thin_neighbors=1)
    request = InitRequest(12, 3, torch.Generator().manual_seed(0), lambda n: crowded()[:n], config)
    with pytest.raises(ConfigError) as refused:
        draw_sample(request)
    assert refused.value.option == "thin-cosine"
    assert "the 12 the data init needs" in str(refused.value)
