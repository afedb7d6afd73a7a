#!/usr/bin/env bash
# The GPU checks of issue 14 in one script, for a machine with an NVIDIA GPU and CuPy
# (cupy-cuda12x or cupy-cuda13x, matching the driver). Run from the repository root:
#
#     OUT=/some/folder bash benchmarks/gpu_check.sh
#
# Everything it produces goes to $OUT (default: benchmarks/results/gpu-run): the unit tests
# under NNLIB_BACKEND=cupy, chapter 9 executed with its GPU cells live, and the benchmark
# records of nnlib on the GPU and on the CPU, with PyTorch on the same GPU as the peer.
# Not yet run on a GPU: no session that wrote it had one.
set -u
OUT=${OUT:-benchmarks/results/gpu-run}
PY=${PY:-python}
mkdir -p "$OUT"
export CI=true NNLIB_PROGRESS=0
{
  date -u +%FT%TZ
  nvidia-smi || true
  $PY -c "import cupy; print('cupy', cupy.__version__); cupy.show_config()" || exit 2
} > "$OUT/environment.txt" 2>&1

# 1. Unit tests on the GPU back-end (a test that cannot run there is listed in the output).
NNLIB_BACKEND=cupy timeout 540 $PY -m pytest tests -q -p no:randomly -o addopts="" -rfEs \
  > "$OUT/pytest_cupy.txt" 2>&1
echo "pytest (NNLIB_BACKEND=cupy) exit $?" >> "$OUT/summary.txt"

# 2. The benchmark: nnlib on the GPU against PyTorch on the same GPU; the same nets on the CPU.
timeout 540 $PY benchmarks/mnist_mlp.py --backend cupy --protocols relu,adam,wide \
  --peers nnlib,torch,bound --no-grid --no-accuracy --epochs 3 --repeats 3 \
  --json "$OUT/mnist_mlp_gpu.json" > "$OUT/mnist_mlp_gpu.txt" 2>&1
echo "benchmark GPU exit $?" >> "$OUT/summary.txt"
timeout 540 $PY benchmarks/mnist_mlp.py --protocols relu,adam,wide --peers nnlib,torch,bound \
  --no-grid --no-accuracy --epochs 3 --repeats 2 \
  --json "$OUT/mnist_mlp_cpu_same_machine.json" > "$OUT/mnist_mlp_cpu_same_machine.txt" 2>&1
echo "benchmark CPU exit $?" >> "$OUT/summary.txt"

# 3. Chapter 9 with the GPU cells live (its outputs stay in $OUT; compare before committing).
timeout 540 $PY -m jupyter nbconvert --to notebook --execute chapters/09_gpu.ipynb \
  --output-dir "$OUT" --output 09_gpu_on_gpu.ipynb > "$OUT/nbconvert.txt" 2>&1
echo "chapter 9 exit $?" >> "$OUT/summary.txt"
cat "$OUT/summary.txt"
