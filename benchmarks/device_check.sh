#!/usr/bin/env bash
# The one script a session lent a GPU runs for issue 13 (device time is short: run it whole,
# once): every init on the GPU against the same init on the CPU, then the torch inits' seconds
# and memory on the GPU at the sizes SAEs are trained at, ending with mod's at 16,384 x 768 and
# 65,536 x 2,048. From the repository root, with the machine's own torch and saeinit from src/:
#
#     bash benchmarks/device_check.sh 2>&1 | tee "$OUT/device_check.log"
#
# DEVICE, SCENARIO and INITS override the device, the toy scenario of the comparison and the
# inits timed; further arguments go to init_scale.py (e.g. --quick for a smoke run on the CPU).
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
DEVICE="${DEVICE:-cuda}"
SCENARIO="${SCENARIO:-128x1024}"
INITS="${INITS:-data svd modes mod centroid-torch fitted whitened}"
if [ "$DEVICE" = cuda ]; then
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
fi
python3 -c "import torch; print('torch', torch.__version__)"
python3 benchmarks/device_agreement.py --device "$DEVICE" --scenario "$SCENARIO"
# shellcheck disable=SC2086  # INITS is a list of names
python3 benchmarks/init_scale.py --device "$DEVICE" --threads "$(nproc)" --timeout 60 --inits $INITS "$@"
