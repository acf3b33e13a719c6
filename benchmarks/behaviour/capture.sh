#!/usr/bin/env bash
# Capture train --json results and a report of a small sweep, to compare with compare.py before
# and after a change that must not change behaviour. Usage: capture.sh OUT_DIR
set -euo pipefail
OUT=$1; mkdir -p $OUT; cd $OUT
export HF_HUB_OFFLINE=1
T="saeinit train --threads 1 --no-progress"
$T --scenario 16x32 --max-steps 300 --seed 1 --json a_orth.json
$T --scenario 32x64 --init mod --encoder-init fitted --max-steps 200 --json b_mod.json --save sae_mod
$T --scenario 32x64 --architecture topk --k 4 --encoder-init tied --b-dec mean --normalize-activations expected_average_only_in --init data --max-steps 200 --json c_topk.json --save sae_topk
saeinit data --scenario 16x32 --samples 3000 --seed 2 --out toy.npz
$T --data toy.npz --init svd --max-steps 20 --json d_npz.json
$T --scenario 16x32 --dataset-size 2000 --init centroid --rare-ratio 0.1 --max-steps 30 --json e_fixed.json
$T --scenario 32x64 --resample-every 50 --max-steps 200 --l1 0.3 --json f_resample.json
$T --scenario 32x64 --start-from sae_mod --max-steps 50 --json g_resume.json
$T --scenario 32x64 --architecture topk --k 4 --start-from sae_topk --max-steps 50 --json h_resume_topk.json
python -c "print(\"\\n\\n\".join(\"Sentence number %d talks about sparse features and the residual stream of a model.\" % i for i in range(120)))" > corpus.txt
saeinit collect --layer 1 --corpus corpus.txt --context-size 16 --batch-size 4 --shard-tokens 500 --threads 1 --no-progress --out acts
$T --activations acts --dict-size 64 --init mod --encoder-init fitted --batch-size 32 --max-steps 30 --target-fvu 0.5 --eval-every 5 --json i_acts.json
cat > grid.toml <<'G'
title = "cmp"
[base]
max_steps = 150
[[axes]]
scenario = ["16x32"]
init = ["orthogonal", "data", "outliers"]
seed = [0, 1]
G
saeinit sweep grid.toml --store store.sqlite --workers 2
saeinit report --store store.sqlite --out report
