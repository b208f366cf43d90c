#!/usr/bin/env bash
# One prepared GPU session (the device machine: one H200, 15 minutes of device time in all), in one
# `run` call of at most 8 minutes; safe to run again (finished runs are found in the store, not
# trained twice). Prepare on the CPU first, once:
#
#   bash benchmarks/gpu_session.sh --prepare    # wheels the GPU image lacks into .whl/, the titles into .gpu/
#   bash benchmarks/gpu_session.sh smoke        # the CPU path, to test this script here
#
# On the device machine (carry .whl and .gpu; both git-ignored):
#
#   bash benchmarks/gpu_session.sh full         # then: tar -xzf OUT/runs.tar.gz, commit the records
#
# It writes to $OUT: results.json (bench_train.py: lmlab against the challenge's loop, MFU, memory),
# memory.json (bench_memory.py), runs_per_hour.json (gpu_runs.py), runs.tar.gz (the runs' light
# records), session.log.
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE=${1:-full}

if [ "$PROFILE" = "--prepare" ]; then
  # the packages lmlab imports that the device image lacks (it has torch, sentencepiece, numpy,
  # matplotlib, tqdm, pandas, pyarrow), for its Python 3.12, without their dependencies
  mkdir -p .whl .gpu
  grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
  grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> .git/info/exclude
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    -d .whl datasets dill multiprocess xxhash huggingface-hub fsspec filelock pyyaml requests \
    charset-normalizer idna urllib3 certifi tqdm packaging typing-extensions scipy
  python3 -m pip wheel -q --no-deps -w .whl .
  cp ../shared/data/hn-titles/titles.txt .gpu/titles.txt
  du -sh .whl .gpu
  exit 0
fi

OUT=${OUT:-$PWD/_build/gpu-session}
mkdir -p "$OUT"
exec > >(tee "$OUT/session.log") 2>&1
export PYTHONUNBUFFERED=1 LMLAB_RUNS=${LMLAB_RUNS:-$PWD/runs} LMLAB_CACHE=${LMLAB_CACHE:-/tmp/lmlab-cache}
if [ -d .whl ] && [ "$PROFILE" = full ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site
fi
DATA=${LMLAB_DATA:-$( [ -f .gpu/titles.txt ] && echo .gpu/titles.txt || echo tests/data/titles.txt )}
echo "profile $PROFILE, data $DATA, $(python3 -c 'import torch; print(torch.cuda.get_device_name() if torch.cuda.is_available() else "no GPU")')"

# 1. speed: lmlab's trainer against the challenge's loop at the same configuration (about a minute)
python3 benchmarks/bench_train.py --profile "$PROFILE" --data "$DATA" --no-compile --out "$OUT/results.json"
python3 benchmarks/bench_memory.py --profile "$PROFILE" --data "$DATA" --out "$OUT/memory.json"
# 2. the challenge baseline and the final recipe, 3 seeds each: one alone, the rest five at once
python3 benchmarks/gpu_runs.py --profile "$PROFILE" --data "$DATA" --parallel 5 --out "$OUT/runs_per_hour.json"
# 3. every finished run's light records, to carry back
python3 -m lmlab runs pack "$OUT/runs.tar.gz"
echo "done: $(ls "$OUT")"
