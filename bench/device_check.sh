#!/usr/bin/env bash
# One GPU session's checks, as one script (issue 15, section 4): the CUDA-marked tests, the gpu
# bench (CUDA against CPU, bf16/fp16, a GPU-trained bundle on a CPU-only process), then the whole
# suite with --device auto resolving to the GPU. Run from the repository root on a machine with
# a CUDA GPU and torch; results land in $OUT (default /tmp/forecast-gpu). Packages the machine
# lacks can travel as wheels in .whl/ (installed to /tmp/site).
set -u
export PYTHONUNBUFFERED=1
PY=${PY:-python3}
OUT=${OUT:-/tmp/forecast-gpu}
mkdir -p "$OUT"
if compgen -G ".whl/*.whl" >/dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
        && export PYTHONPATH=/tmp/site
fi
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  "$PY" -c "import torch, os; print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.is_available(), os.cpu_count(), 'cpus')"
} 2>&1 | tee "$OUT/env.txt"
echo "== CUDA-marked tests"
timeout "${CUDA_TESTS_S:-150}" "$PY" -m pytest -q -m cuda -p no:cacheprovider tests 2>&1 | tee "$OUT/cuda_tests.txt"
echo "== bench gpu"
timeout "${BENCH_S:-330}" "$PY" -m bench.run --only gpu 2>&1 | tee "$OUT/bench_gpu.txt"
cp docs/benchmarks.md "$OUT/benchmarks.md"
echo "== whole suite, device auto = cuda"
timeout "${SUITE_S:-120}" "$PY" -m pytest -q -n "${WORKERS:-12}" --dist loadfile -p no:cacheprovider tests \
    > "$OUT/suite.txt" 2>&1
echo "suite exit $?"; tail -30 "$OUT/suite.txt"
