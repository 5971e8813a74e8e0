#!/usr/bin/env bash
# Runs the C++ engine and the PyTorch reference side by side on the same weights and inputs and prints
# parity (max |difference|) and the step-time ratio. Needs python3-torch (packaging/setup-debian.sh --with-bench).
# Usage: bench/parity.sh [BUILD_DIR] [THREADS]
set -euo pipefail
build=${1:-build}
threads=${2:-$(nproc)}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cpp=$("$build/bench/tandem-bench-parity" "$dir" --threads "$threads" --reps 10)
py=$(/usr/bin/python3 "$(dirname "$0")/pytorch_reference.py" "$dir" --threads "$threads" --reps 10)
cpp2=$("$build/bench/tandem-bench-parity" "$dir" --threads "$threads" --reps 10)
py2=$(/usr/bin/python3 "$(dirname "$0")/pytorch_reference.py" "$dir" --threads "$threads" --reps 10)
# Interleaved C++, PyTorch, C++, PyTorch: each side's best, so a noisy moment on a shared machine hits both.
/usr/bin/python3 - "$cpp" "$py" "$cpp2" "$py2" <<'PY'
import json, sys
c1, p, c2, p2 = (json.loads(a) for a in sys.argv[1:])
c = min(c1["cpp_step_ms"], c2["cpp_step_ms"])
p["pytorch_step_ms"] = min(p["pytorch_step_ms"], p2["pytorch_step_ms"])
print(f"threads: {p['threads']}  libtorch (both sides): {p['torch']}")
print(f"parity: max |C++ - PyTorch| = {p['max_abs_diff']:.3g} (outputs up to {p['output_scale']:.3g}); target <= 1e-4: {'PASS' if p['max_abs_diff'] <= 1e-4 else 'FAIL'}")
print(f"step: C++ {c:.1f} ms (runs: {c1['cpp_step_ms']:.1f}, {c2['cpp_step_ms']:.1f}), PyTorch eager {p['pytorch_step_ms']:.1f} ms (best of two runs), ratio {c / p['pytorch_step_ms']:.2f}; target <= 0.70: {'PASS' if c / p['pytorch_step_ms'] <= 0.70 else 'FAIL'}")
pk, ml = c1["matmul_peak_gflops"], c1["mlp_matmul_gflops"]
print(f"matmul peak (1024^2 fp32): {pk:.0f} GFLOP/s; MLP matmul (1024x128 @ 128x512): {ml:.0f} GFLOP/s = {100 * ml / pk:.0f}% of peak; target >= 50%: {'PASS' if ml >= 0.5 * pk else 'FAIL'}")
PY
