#!/usr/bin/env bash
# Runs the C++ engine and the PyTorch reference side by side on the same weights and inputs and prints
# parity (max |difference|) and the step-time ratio. Needs PyTorch (packaging/setup-debian.sh --with-bench).
# On CUDA both sides run in bf16, so parity is bf16 rounding, and the GPU memory of a step is printed too.
# Usage: bench/parity.sh [BUILD_DIR] [THREADS] [cpu|cuda]     (PYTHON=... picks the Python with PyTorch)
set -euo pipefail
build=${1:-build}
threads=${2:-$(nproc)}
device=${3:-cpu}
python=${PYTHON:-/usr/bin/python3}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
run_cpp() { "$build/bench/tandem-bench-parity" "$dir" --threads "$threads" --reps 10 --device "$device"; }
run_py() { "$python" "$(dirname "$0")/pytorch_reference.py" "$dir" --threads "$threads" --reps 10 --device "$device"; }
cpp=$(run_cpp)
py=$(run_py)
cpp2=$(run_cpp)
py2=$(run_py)
# Interleaved C++, PyTorch, C++, PyTorch: each side's best, so a noisy moment on a shared machine hits both.
"$python" - "$cpp" "$py" "$cpp2" "$py2" <<'PY'
import json, sys
c1, p, c2, p2 = (json.loads(a) for a in sys.argv[1:])
c = min(c1["cpp_step_ms"], c2["cpp_step_ms"])
p["pytorch_step_ms"] = min(p["pytorch_step_ms"], p2["pytorch_step_ms"])
cuda = p["device"].startswith("cuda")
print(f"device: {p.get('gpu', 'cpu')}  threads: {p['threads']}  libtorch: C++ {c1['libtorch']}, PyTorch {p['torch']}")
if not p["torch"].startswith(c1["libtorch"]):
    print("note: the two sides run different LibTorch versions, so the ratio compares libraries as well as code")
# fp32 on the CPU must agree to 1e-4; bf16 on a GPU carries 8 bits of mantissa, so there it is reported only.
limit = 1e-4
verdict = "" if cuda else f"; target <= {limit:g}: {'PASS' if p['max_abs_diff'] <= limit else 'FAIL'}"
print(f"parity: max |C++ - PyTorch| = {p['max_abs_diff']:.3g} (outputs up to {p['output_scale']:.3g}){verdict}")
ratio = c / p["pytorch_step_ms"]
target = "" if cuda else f"; target <= 0.70: {'PASS' if ratio <= 0.70 else 'FAIL'}"
print(f"step: C++ {c:.2f} ms (runs: {c1['cpp_step_ms']:.2f}, {c2['cpp_step_ms']:.2f}), PyTorch eager {p['pytorch_step_ms']:.2f} ms (best of two runs), ratio {ratio:.2f}{target}")
if cuda:
    print(f"GPU memory of a step: C++ {c1['cpp_peak_mib']:.1f} MiB, PyTorch {p['pytorch_peak_mib']:.1f} MiB at most")
else:
    pk, ml = c1["matmul_peak_gflops"], c1["mlp_matmul_gflops"]
    print(f"matmul peak (1024^2 fp32): {pk:.0f} GFLOP/s; MLP matmul (1024x128 @ 128x512): {ml:.0f} GFLOP/s = {100 * ml / pk:.0f}% of peak; target >= 50%: {'PASS' if ml >= 0.5 * pk else 'FAIL'}")
PY
