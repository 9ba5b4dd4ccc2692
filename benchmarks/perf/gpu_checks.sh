#!/usr/bin/env bash
# The GPU checks of issue 17 as one command, for a machine with one CUDA GPU (about 8 minutes on an
# H100-class GPU; nothing here has run on a GPU yet). From the repository root:
#
#     bash benchmarks/perf/gpu_checks.sh 2>&1 | tee gpu_checks.txt
#
# Every figure it prints is a ratio against a baseline measured by the same command, or a rate with
# its ceiling; benchmarks/perf/RESULTS.md says what each line means. PYTHON picks the interpreter.
set -uo pipefail
cd "$(dirname "$0")/../.."
python=${PYTHON:-.venv/bin/python}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
"$python" -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda)"

# The video made on the GPU from the workers' uint8 frames: within a level of the CPU's; the I420
# planes the workers ship to a GPU converted there exactly as on the CPU.
# (all of test_video_yuv.py: it also checks that this host's libswscale gives the RGB the GPU computes)
"$python" -m pytest -q -p no:randomly tests/test_video_batch.py -k gpu
"$python" -m pytest -q -p no:randomly tests/test_video_yuv.py

# The training step: the reference's procedure (fp32) against slrbench's (fp32, bf16) at batch 8 and 16.
"$python" benchmarks/perf/train_step.py --device cuda

# Issue 17 item 4: the reference's batch-norm batch (32 clips) on one GPU, with and without gradient
# checkpointing (the reference's fp32 step is expected to run out of memory here).
"$python" benchmarks/perf/train_step.py --device cuda --batch 32 --precision bf16 --checkpointing --steps 5

# The loader with the 16 workers a GPU host has, and one worker (the per-worker rate).
"$python" benchmarks/perf/loader.py --clips 128 --workers 16 --batch-size 8 --rounds 1
"$python" benchmarks/perf/loader.py --clips 32 --workers 1 --batch-size 8 --rounds 1

# Optional, slower (compilation): torch.compile and channels_last_3d as measured options.
if [ "${WITH_COMPILE:-0}" = 1 ]; then
    "$python" benchmarks/perf/train_step.py --device cuda --batch 8 --precision bf16 --compile --channels-last
fi
