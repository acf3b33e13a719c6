#!/usr/bin/env bash
# The one script a session lent a GPU runs for issue 13 (device time is short: run it whole,
# once). From the repository root, with the machine's own torch and saeinit from src/:
#
#     bash benchmarks/device_check.sh 2>&1 | tee "$OUT/device_check.log"
#
# Three parts, each stopped after its own share of the time (PART_SECONDS), so that the whole
# fits in one command of at most 600 s and a part that fails or runs long leaves the others:
#   1. mod's seconds and memory on the GPU at n 4,096 / 16,384 / 65,536 x d 768 / 2,048,
#      ending with its targets' lines (16,384 x 768 and 65,536 x 2,048);
#   2. every init on the GPU against the same init on the CPU, from one toy dataset file;
#   3. the other torch inits' seconds on the GPU at n 4,096 and 65,536, d 2,048.
# DEVICE, SCENARIO and INITS override the device, the toy scenario of part 2 and the inits of
# part 3; further arguments go to init_scale.py in parts 1 and 3 (e.g. --quick for a smoke run
# on the CPU).
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
DEVICE="${DEVICE:-cuda}"
SCENARIO="${SCENARIO:-128x1024}"
INITS="${INITS:-data svd modes centroid-torch fitted whitened}"
read -r -a PART_SECONDS <<< "${PART_SECONDS:-240 150 150}"
THREADS="$(nproc)"

part() {  # part NUMBER SECONDS COMMAND...: run it, saying how it ended if not well
    local number="$1" seconds="$2"
    shift 2
    echo "== part $number (at most $seconds s) =="
    timeout "$seconds" "$@"
    local rc=$?
    [ "$rc" = 0 ] || echo "== part $number ended with exit code $rc (124: stopped at $seconds s) =="
}

if [ "$DEVICE" = cuda ]; then
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
fi
python3 -c "import torch; print('torch', torch.__version__)"
part 1 "${PART_SECONDS[0]}" python3 benchmarks/init_scale.py --device "$DEVICE" \
    --threads "$THREADS" --timeout 60 --inits mod --atoms 4096 16384 65536 --dims 768 2048 "$@"
part 2 "${PART_SECONDS[1]}" python3 benchmarks/device_agreement.py --device "$DEVICE" \
    --scenario "$SCENARIO"
# shellcheck disable=SC2086  # INITS is a list of names
part 3 "${PART_SECONDS[2]}" python3 benchmarks/init_scale.py --device "$DEVICE" \
    --threads "$THREADS" --timeout 30 --inits $INITS --atoms 4096 65536 --dims 2048 "$@"
