"""The commands for real activations: collect, train --activations, evaluate, compare."""

import json

import pytest

from saeinit.cli import main

TRAIN = ["--dict-size", "32", "--batch-size", "16", "--eval-samples", "16", "--threads", "1"]
TRAIN += ["--no-progress", "--l1", "0.5"]


def test_collect_train_evaluate_compare(tmp_path, sentences_file, capsys, tiny_collect_cli):
    out = tmp_path / "acts"
    corpus = ["--corpus", str(sentences_file), *tiny_collect_cli]
    args = ["collect", "--layer", "2", *corpus, "--no-progress"]
    assert main([*args, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "blocks.2.hook_resid_post (width 384)" in printed and "tokens/s" in printed
    assert main([*args, "--out", str(out)]) == 0
    assert "already holds" in capsys.readouterr().out

    saes = []
    for seed in (0, 1):
        result, save = tmp_path / f"r{seed}.json", tmp_path / f"sae{seed}"
        train = [
            "train",
            "--activations",
            str(out),
            *TRAIN,
            "--max-steps",
            "6",
            "--seed",
            str(seed),
        ]
        train += ["--eval-every", "2", "--target-fvu", "5", "--init", "data"]
        assert main([*train, "--json", str(result), "--save", str(save)]) == 0
        saes.append(save)
    printed = capsys.readouterr().out
    assert "FVU <= 5: step 0" in printed and "dead" in printed and "MMCS" not in printed
    result = json.loads(result.read_text())
    assert result["fvu_thresholds"]["5"]["step"] == 0 and result["mmcs_final"] is None
    assert result["data_info"]["hook_name"] == "blocks.2.hook_resid_post"
    assert {"fvu", "l0", "dead", "dead_fraction"} <= set(result["final"])

    assert main(["evaluate", str(saes[0]), "--activations", str(out), "--eval-samples", "16"]) == 0
    assert "FVU" in capsys.readouterr().out
    assert main(["compare", str(saes[0]), str(saes[1])]) == 0
    line = capsys.readouterr().out
    mean = float(line.split("mean:")[1])
    assert 0 < mean <= 1


@pytest.mark.parametrize(
    "args,option",
    [
        (["--layer", "6"], "--layer"),
        (["--model", "/no/such/model"], "--model"),
        (["--corpus", "/no/such/corpus.txt"], "--corpus"),
        (["--site", "attn"], "--site"),
        (["--context-size", "0"], "--context-size"),
    ],
)
def test_collect_bad_input_is_one_line_and_exit_2(
    tmp_path, sentences_file, args, option, capsys, tiny_collect_cli
):
    base = ["collect", "--corpus", str(sentences_file), *tiny_collect_cli]
    assert main([*base, "--out", str(tmp_path / "o"), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and option in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_train_on_bad_activation_folders(tmp_path, capsys):
    assert main(["train", "--activations", str(tmp_path / "none"), *TRAIN]) == 2
    assert "--activations" in capsys.readouterr().err
    assert main(["train", "--activations", str(tmp_path), *TRAIN]) == 2
    assert "no manifest.json" in capsys.readouterr().err
    assert main(["train", "--target-fvu", "0"]) == 2
    assert "--target-fvu" in capsys.readouterr().err
