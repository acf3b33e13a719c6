"""benchmarks/wide_sae.py --quick: SAELens' BatchTopK, JumpReLU and Matryoshka trainers and sparsify's
TopK trainer, each from its own init and from saeinit's, at two tiny widths on a small
MiniLM collection; the table's shape and the consistency of its numbers. Its helper scripts
too: wide_sae_dying.py's last firing steps and helpful shares on hand-made cases."""

import importlib
import math
import sys
from pathlib import Path

import pytest
import torch

from saeinit import InitialWeights

pytest.importorskip("sae_lens")
pytest.importorskip("sparsify")
BENCHMARKS = Path(__file__).parents[2] / "benchmarks"


def load(name):
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    return importlib.import_module(name)


@pytest.fixture(scope="module")
def collection(tmp_path_factory):
    """12,288 tokens of the packaged MiniLM's layer 1 over the python-docs corpus."""
    from saeinit.data.activations import CollectConfig, collect

    out = tmp_path_factory.mktemp("wide") / "minilm-L1"
    collect(CollectConfig(layer=1, max_tokens=12288, threads=1, progress=False), out)
    return out


@pytest.fixture(scope="module")
def quick(collection, tmp_path_factory):
    bench = load("wide_sae")
    out = tmp_path_factory.mktemp("runs")
    figures = out / "figures"
    argv = ["--quick", "--activations", str(collection), "--out", str(out)]
    results = bench.main([*argv, "--figures", str(figures)])
    return bench, results, out, figures, argv


def test_every_trainer_width_and_start_runs_its_budget(quick):
    bench, results, _, _, _ = quick
    keys = {(r["trainer"], r["width"], r["start"]) for r in results}
    assert keys == {(t, w, s) for t in bench.TRAINERS for w in (48, 96) for s in bench.STARTS}
    for run in results:
        steps = [row[0] for row in run["history"]]
        assert steps[0] == 0 and steps[-1] == 8192 // 256 and steps == sorted(steps)
        assert {1, 2, 4, 8, 16} <= set(steps)  # the start is sampled densely
        for _, seconds, fvu, l0, dead in run["history"]:
            assert math.isfinite(fvu) and 0 <= fvu < 5
            assert 0 <= l0 <= run["width"] and 0 <= dead <= run["width"]
            assert seconds >= 0
        assert run["history"][-1][2] == pytest.approx(run["final"]["fvu"])
        assert 0 <= run["final"]["unfired"] <= run["width"]  # by the trainer's own counter
        if run["trainer"] in ("batchtopk", "matryoshka", "sparsify"):  # k = 8 per token
            assert run["final"]["l0"] <= 8 + 1e-6 and run["final"]["l0"] > 4
        # training lowers the held-out FVU from where each start began
        assert run["final"]["fvu"] < run["history"][0][2]


def test_informed_arms_pay_for_their_adapted_inits(quick):
    _, results, out, _, _ = quick
    for width in (48, 96):
        ours = [r for r in results if r["start"] == "saeinit" and r["width"] == width]
        gained = [r for r in ours if r["trainer"] in ("batchtopk", "matryoshka", "sparsify")]
        assert len(gained) == 3
        assert all({"atoms", "gain"} <= set(r["init_stages"]) for r in gained)
        for run in ours:
            assert run["init_seconds"] > 0 and run["init_tokens"] == 1024
            stages = run["init_stages"]
            assert {"draw", "dictionary", "encoder", "other"} <= set(stages)
            assert sum(stages.values()) == pytest.approx(run["init_seconds"], rel=1e-6)
        # Matryoshka's init is the same one with its latents ordered by use, JumpReLU's with its
        # thresholds; BatchTopK's, Matryoshka's and sparsify's with the atoms refitted to the
        # per-token top k and the encoder at its gain; each a stage of its own
        by_trainer = {r["trainer"]: set(r["init_stages"]) for r in ours}
        assert "order" in by_trainer["matryoshka"] and "thresholds" in by_trainer["jumprelu"]
        assert not {"order", "thresholds"} & by_trainer["batchtopk"]
        assert not {"atoms", "gain"} & by_trainer["jumprelu"]
        (jumprelu,) = [r for r in ours if r["trainer"] == "jumprelu"]
        # both JumpReLU arms start with thresholds firing k = 8 latents per token of the init's
        # sample, so near 8 held-out latents (SAELens' 0.01 fires most of them), and the
        # default pays for its calibration's sample as saeinit's arm does
        default = next(
            r
            for r in results
            if (r["trainer"], r["start"], r["width"]) == ("jumprelu", "default", width)
        )
        for run in (jumprelu, default):
            assert 4 < run["history"][0][3] < 3 * 8, (run["start"], run["history"][0][3])
        assert default["init_tokens"] == 1024 and set(default["init_stages"]) == {"thresholds"}
        assert default["init_seconds"] == pytest.approx(default["init_stages"]["thresholds"])
        assert (out / f"init-w{width}-seed0-mod-fitted-1024-atoms-gain.pt").exists()
        assert (out / f"init-w{width}-seed0-mod-fitted-1024-by-use-k8-atoms-gain.pt").exists()
        assert (out / f"init-w{width}-seed0-mod-fitted-1024-topk-k8-atoms-gain.pt").exists()
        assert (out / f"init-w{width}-seed0-mod-fitted-1024-thresholds-l0-8.pt").exists()
    for run in results:
        if run["start"] == "default" and run["trainer"] != "jumprelu":
            assert run["init_seconds"] == 0 and run["init_tokens"] == 0


def test_both_starts_see_the_same_held_out_tokens_and_scaling(quick):
    _, results, _, _, _ = quick
    assert len({r["scaling_factor"] for r in results}) == 1
    # SAELens' default start of a width is the same SAE whatever its later training
    starts = {r["history"][0][2] for r in results if r["trainer"] != "sparsify"}
    assert len(starts) >= 2


def test_crossings_count_the_init_and_the_table_has_every_pair(quick, capsys):
    bench, results, _, figures, argv = quick
    report = load("wide_sae_report")
    groups = report.pairs(results)
    assert set(groups) == {(t, w) for t in bench.TRAINERS for w in (48, 96)}
    for (trainer, _), seeds in groups.items():
        for default, ours in seeds:
            mine, theirs = report.crossings(default, ours)
            assert mine is not None  # the default reaches its own final FVU, at the latest
            assert mine["fvu"] <= default["final"]["fvu"] + 1e-9
            if theirs is not None:
                assert theirs["tokens"] >= ours["init_tokens"] == 1024
                assert theirs["seconds"] >= ours["init_seconds"] > 0
                assert theirs["fvu"] <= default["final"]["fvu"] + 1e-9
                if trainer == "jumprelu":
                    assert theirs["l0"] <= default["final"]["l0"] + 1e-9
    lines = report.summary_lines(results)
    headers = [line for line in lines if line.startswith("| init |")]
    tables = len(bench.TRAINERS) * 2  # one per trainer and width
    assert len(headers) == tables
    body = [line for line in lines if line.startswith("| library default")]
    assert len(body) == tables and all(line.count("|") == 12 for line in body)
    assert sum("default / saeinit" in line or "did not reach" in line for line in lines) == tables
    for name in ("fvu-tokens", "fvu-seconds", "l0-tokens"):  # JumpReLU's L0 is free
        assert (figures / f"wide-{name}.png").stat().st_size > 0
    # a rerun finds every run done and prints the same table without training
    capsys.readouterr()
    again = bench.main(argv)
    assert [r["final"] for r in again] == [r["final"] for r in results]
    assert "\n".join(lines) in capsys.readouterr().out


def test_sparsify_without_its_warm_up_learns_within_a_short_budget(quick, collection, tmp_path):
    """sparsify's default 1,000 warm-up steps keep a 32-step run's lr under 3.2% of its peak;
    with --sparsify-config lr_warmup_steps=0 both starts train at the full rate and end lower."""
    bench, results, _, _, _ = quick
    argv = ["--quick", "--activations", str(collection), "--out", str(tmp_path)]
    unwarmed = bench.main(
        [*argv, "--trainers", "sparsify", "--sparsify-config", "lr_warmup_steps=0"]
    )
    assert len(unwarmed) == 4  # two widths, two starts
    for run in unwarmed:
        (warmed,) = [
            r
            for r in results
            if (r["trainer"], r["width"], r["start"]) == ("sparsify", run["width"], run["start"])
        ]
        assert dict(run["sparsify_config"]) == {"lr_warmup_steps": 0}
        assert dict(warmed["sparsify_config"]) == {}
        assert run["history"][0][2] == pytest.approx(warmed["history"][0][2])  # one start
        assert run["final"]["fvu"] < warmed["final"]["fvu"] - 0.02


def test_schedule_samples_the_start_densely_then_every_few_steps():
    train = load("wide_sae_train")
    assert sorted(train.schedule(100, 25)) == [0, 1, 2, 4, 8, 16, 25, 32, 50, 64, 75]
    assert sorted(train.schedule(3, 25)) == [0, 1, 2]


def test_jumprelu_crossing_asks_for_the_default_l0_or_sparser():
    report = load("wide_sae_report")

    def run(trainer, start, history, init=(0, 0.0)):
        step, seconds, fvu, l0, dead = history[-1]
        return {
            "trainer": trainer,
            "start": start,
            "batch": 10,
            "init_tokens": init[0],
            "init_seconds": init[1],
            "history": history,
            "final": {"fvu": fvu, "l0": l0, "dead": dead},
        }

    default = [[0, 0.0, 1.0, 50, 0], [5, 1.0, 0.5, 40, 0], [10, 2.0, 0.3, 20, 0]]
    # saeinit's run is below 0.3 at step 5, but only at L0 30 > 20; at step 8 at L0 15
    ours = [[0, 0.0, 0.4, 60, 0], [5, 0.5, 0.25, 30, 0], [8, 0.8, 0.28, 15, 0]]
    for trainer, step in (("jumprelu", 8), ("batchtopk", 5)):
        mine, theirs = report.crossings(
            run(trainer, "default", default), run(trainer, "saeinit", ours, (100, 3.0))
        )
        assert (mine["step"], mine["tokens"], mine["seconds"]) == (10, 100, 2.0)
        assert theirs["step"] == step
        assert theirs["tokens"] == 100 + 10 * step  # the init's sample counted
        assert theirs["seconds"] == pytest.approx(3.0 + step / 10)  # and its seconds


def test_start_quality_on_a_hand_made_dictionary():
    import torch

    from saeinit import InitialWeights

    cost = load("wide_sae_init_cost")
    eye = torch.eye(4)
    weights = InitialWeights(eye, torch.zeros(4), eye, torch.zeros(4))
    # tokens of one feature each (features 0-2; feature 3 never occurs)
    x = torch.tensor([[2.0, 0, 0, 0], [0, 3.0, 0, 0], [0, 0, 1.0, 0], [1.0, 0, 0, 0]])
    exact = cost.start_quality(weights, x, k=1)
    assert exact["fvu_batchtopk"] == pytest.approx(0) and exact["fvu_topk"] == pytest.approx(0)
    assert exact["dead_batchtopk"] == exact["dead_topk"] == 1
    # a token of two features and an empty token: TopK keeps one feature per token, BatchTopK
    # the 4 largest of the whole batch, so it keeps both of the first token's
    x2 = torch.tensor([[2.0, 1.2, 0, 0], [0, 3.0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1.5]])
    mixed = cost.start_quality(weights, x2, k=1)
    centred = x2 - x2.mean(0)
    assert mixed["fvu_batchtopk"] == pytest.approx(0)
    assert mixed["fvu_topk"] == pytest.approx(1.2**2 / centred.square().sum().item())
    assert mixed["dead_batchtopk"] == 1
    # TopK keeps token 0's feature 0 only, so feature 1 still fires (token 1), feature 2 never
    assert mixed["dead_topk"] == 1
    # a third feature in token 0 that TopK drops and BatchTopK keeps: feature 2 lives only there
    x3 = torch.tensor([[2.0, 0, 1.7, 0], [0, 3.0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1.5]])
    third = cost.start_quality(weights, x3, k=1)
    assert (third["dead_batchtopk"], third["dead_topk"]) == (0, 1)


def test_init_cost_times_each_stage_of_an_init_and_measures_its_start(collection, tmp_path):
    cost = load("wide_sae_init_cost")
    argv = ["--activations", str(collection), "--widths", "48", "--k", "8"]
    results = cost.main([*argv, "--inits", "mod:fitted:1024", "--out", str(tmp_path)])
    (row,) = results
    assert (row["width"], row["init"], row["encoder"], row["rows"]) == (48, "mod", "fitted", 1024)
    assert {"draw", "dictionary", "encoder", "other"} <= set(row["stages"]) and not row["cached"]
    assert sum(row["stages"].values()) == pytest.approx(row["seconds"], rel=1e-6)
    assert 0 < row["fvu_batchtopk"] < 1 and 0 < row["fvu_topk"] < 1
    assert 0 <= row["dead_topk_training"] <= 48 and 0 <= row["dead_topk"] <= 48
    assert (tmp_path / "init-cost.json").exists()


def test_topk_min_rows_lifts_the_sparsify_start_as_a_stage_of_its_own(quick, collection, tmp_path):
    bench, results, _, _, _ = quick
    argv = ["--quick", "--activations", str(collection), "--out", str(tmp_path)]
    lifted = bench.main([*argv, "--trainers", "sparsify", "--topk-min-rows", "64"])
    for run in (r for r in lifted if r["start"] == "saeinit"):
        assert "lift" in run["init_stages"] and run["topk_min_rows"] == 64
        name = f"init-w{run['width']}-seed0-mod-fitted-1024-topk-k8-rows64-atoms-gain.pt"
        assert (tmp_path / name).exists() and "gain" in run["init_stages"]
        (plain,) = [
            r
            for r in results
            if (r["trainer"], r["width"], r["start"]) == ("sparsify", run["width"], "saeinit")
        ]
        # the lift moves encoder biases, and the atoms are refitted to the lifted top k
        assert run["history"][0][2] != pytest.approx(plain["history"][0][2], abs=1e-7)
        assert "lift" not in plain["init_stages"] and "gain" in plain["init_stages"]


def test_library_config_settings_are_read_as_json_or_text_and_checked():
    bench = load("wide_sae")
    jumprelu = ["--trainers", "jumprelu", "--saelens-config"]
    args = bench.parse_args([*jumprelu, "target_l0=32", "jumprelu_ste_to_input=true"])
    assert args.saelens_config == (("target_l0", 32), ("jumprelu_ste_to_input", True))
    args = bench.parse_args(["--sparsify-config", "optimizer=signum", "lr=0.001"])
    assert args.sparsify_config == (("optimizer", "signum"), ("lr", 0.001))
    assert bench.parse_args([]).saelens_config == ()
    with pytest.raises(SystemExit):
        bench.parse_args(["--saelens-config", "l0_coefficient"])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--sparsify-config", "warmup=0"], "--sparsify-config warmup: not a field of TrainConfig"),
        (
            ["--trainers", "jumprelu", "--saelens-config", "target_l1=3"],
            "--saelens-config target_l1: not a field of JumpReLUTrainingSAEConfig",
        ),
        # a JumpReLU field is refused for BatchTopK's config
        (
            ["--trainers", "batchtopk", "--saelens-config", "target_l0=32"],
            "--saelens-config target_l0: not a field of BatchTopKTrainingSAEConfig",
        ),
        (
            ["--trainers", "batchtopk", "--informed-saelens-config", "target_l0=30"],
            "--informed-saelens-config target_l0: not a field of BatchTopKTrainingSAEConfig",
        ),
        (
            ["--init-options", "thin_cosin=0.7"],
            "--init-options thin_cosin: not a field of InitConfig",
        ),
        (["--init-options", "thin_cosine=2"], "--init-options: thin-cosine: must be in (0, 1)"),
    ],
)
def test_a_config_field_the_trainer_lacks_is_refused_before_any_run(argv, message, capsys):
    bench = load("wide_sae")
    with pytest.raises(SystemExit) as exit_:
        bench.parse_args(argv)
    assert exit_.value.code == 2 and message in capsys.readouterr().err
    args = bench.parse_args(["--trainers", "jumprelu", "--saelens-config", "target_l0=32"])
    assert args.saelens_config == (("target_l0", 32),)


def test_the_informed_arm_alone_gets_its_settings_after_the_shared_ones():
    bench = load("wide_sae")
    shared = ["--trainers", "jumprelu", "--saelens-config", "target_l0=32", "l0_coefficient=2"]
    args = bench.parse_args([*shared, "--informed-saelens-config", "target_l0=30"])
    configs = {task.start: dict(task.saelens_config) for task in bench.tasks(args)}
    assert configs == {
        "default": {"target_l0": 32, "l0_coefficient": 2},
        "saeinit": {"target_l0": 30, "l0_coefficient": 2},  # the later setting wins
    }


def test_last_fired_is_the_last_step_with_a_count_and_minus_one_for_never():
    dying = load("wide_sae_dying")
    fires = torch.tensor([[1, 0, 0], [1, 2, 0], [0, 1, 0]])
    assert dying.last_fired(fires).tolist() == [1, 2, -1]


def test_helpful_share_by_hand():
    """Atoms e1, e2; latent 0 reads 1.5 x0 (its own axis), latent 1 reads 2 x0 (the wrong
    axis), k 2. Row (1, 0): codes 1.5, 2, error (-0.5, -2): latent 0 helps (-0.5 > -0.75),
    latent 1 does not (-2 < -1). Row (2, 4): codes 3, 4, error (-1, 0): both help (-1 > -1.5,
    0 > -2). Shares 2/2 and 1/2."""
    dying = load("wide_sae_dying")
    weights = InitialWeights(
        W_enc=torch.tensor([[1.5, 2.0], [0.0, 0.0]]),
        b_enc=torch.zeros(2),
        W_dec=torch.eye(2),
        b_dec=torch.zeros(2),
    )
    share = dying.helpful_share(weights, torch.tensor([[1.0, 0.0], [2.0, 4.0]]), k=2)
    assert share.tolist() == [1.0, 0.5]


def test_a_latent_that_never_fires_has_no_share_and_summary_counts_the_dying():
    dying = load("wide_sae_dying")
    weights = InitialWeights(torch.eye(2), torch.tensor([0.0, -10.0]), torch.eye(2), torch.zeros(2))
    share = dying.helpful_share(weights, torch.tensor([[1.0, 0.5]]), k=1)
    assert share[0].item() == 1.0 and math.isnan(share[1].item())
    coherence = torch.tensor([0.1, 0.9, float("nan"), 0.3])
    report = dying.summary(
        torch.tensor([1.0, 0.2, 0.5, 0.9]), coherence, torch.tensor([7, 2, 5, -1]), 8
    )
    assert report["dying"] == 3 and report["last_step_of_dying"] == [-1, 2, 5]
    assert report["helpful_share_others_q10_q50_q90"] == [1.0, 1.0, 1.0]
    assert report["row_coherence_dying_q10_q50_q90"] == [0.36, 0.6, 0.84]  # 0.9 and 0.3
    assert report["row_coherence_others_q10_q50_q90"] == [0.1, 0.1, 0.1]


def test_row_coherence_by_hand():
    """Identity encoder and atoms, k 2, b_dec 0: latent 0 fires on rows (1, 0), (1, 1) and
    (3, 0), whose unit vectors meet at cosines 1/sqrt 2, 1 and 1/sqrt 2: mean (1 + sqrt 2) / 3;
    latent 1 fires on (1, 1) only (NaN); nothing fires latent 2."""
    dying = load("wide_sae_dying")
    weights = InitialWeights(torch.eye(3), torch.zeros(3), torch.eye(3), torch.zeros(3))
    sample = torch.tensor([[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [3.0, 0.0, 0.0]])
    coherence = dying.row_coherence(weights, sample, k=2)
    assert coherence[0].item() == pytest.approx((1 + math.sqrt(2)) / 3)
    assert math.isnan(coherence[1].item()) and math.isnan(coherence[2].item())
