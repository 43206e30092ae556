#!/usr/bin/env bash
# One prepared session on a lent GPU (the `device` tool: one machine, 15 minutes for everything), run from the repo root:
#   1. issue 12: every explainer's images/s on CUDA, tiny and base, against Chefer et al.'s reference (bench_explain.py);
#   2. issue 15: ViT-B/16 224-px MAE-VSC training in bf16, images/s and MFU, eager and compiled (bench_gpu.py);
#   3. issue 11: the study budget: four unseen-species runs of bench/recipe/labels.py side by side on the GPU, each for
#      LABELS_MIN minutes (self-supervised default recipe, the same with a convolutional stem, and the two supervised
#      upper bounds), probed like every other row;
#   4. the training step against the reference MAE implementations on the GPU (bench_refs.py), if time is left.
# Needs `.gpu/` (ignored; carried): site/ (pure-Python packages the GPU image lacks: fastcore, birdnames, lxt, captum,
# timm), chefer/ (baselines/ and modules/ of hila-chefer/Transformer-Explainability), mae/ (models_mae.py + util/ of
# facebookresearch/mae) and pixel_unseen_probe.json (the pixel-PCA row, deterministic). Logs go to $OUT (7 files).
# SMOKE=1 runs every part at toy size on the CPU (checks the script, not the speed).
set -u
OUT=${OUT:-/tmp/device_out}; mkdir -p "$OUT"
export PYTHONPATH=$PWD/.gpu/site:$PWD PYTHONUNBUFFERED=1 EBIRD_MAE_DATA=/tmp/synth RECIPE_OUT=/tmp/rec
T0=$(date +%s); BUDGET=${BUDGET:-500}; MIN=${LABELS_MIN:-2.5}
left() { echo $(( BUDGET - ($(date +%s) - T0) )); }
stamp() { echo "== $1 at $(( $(date +%s) - T0 )) s" >> "$OUT/setup.log"; }
SMOKE=${SMOKE:-0}
if [ "$SMOKE" = 1 ]; then DEV=cpu; MIN=0.02; else DEV=cuda; fi

{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1; nproc
  python3 -c "import torch, timm, ebird_mae.explain, ebird_mae.train; print('torch', torch.__version__, 'timm', timm.__version__, 'cuda', torch.cuda.is_available())"
} > "$OUT/setup.log" 2>&1 || { echo "imports failed"; cat "$OUT/setup.log"; exit 3; }
mkdir -p "$RECIPE_OUT"; cp .gpu/pixel_unseen_probe.json "$RECIPE_OUT/"
(cd bench/recipe && python3 -c "import harness; df, x = harness.data(64); print(len(df), x.shape)") >> "$OUT/setup.log" 2>&1
stamp "data ready"

if [ "$SMOKE" = 1 ]; then
  timeout 300 python3 bench/bench_explain.py --device cpu --sizes tiny --batch 2 --reps 1 --no-isolate --methods chefer_lrp,rollout --chefer-repo .gpu/chefer > "$OUT/explain.log" 2>&1
  timeout 300 python3 bench/bench_gpu.py --smoke-cpu > "$OUT/gpu.log" 2>&1
else
  timeout 130 python3 bench/bench_explain.py --device cuda --batch 32 --chefer-repo .gpu/chefer > "$OUT/explain.log" 2>&1
  stamp "explain done (rc $?)"
  timeout 160 python3 bench/bench_gpu.py --steps 15 --warm 5 > "$OUT/gpu.log" 2>&1
fi
stamp "gpu bench done (rc $?)"

cd bench/recipe
SPECS=("--mode none" "--mode none --stem conv" "--mode family" "--mode family --arch resnet18")
[ "$SMOKE" = 1 ] && SPECS=("--mode none")
# the training minutes fit what is left: ~110 s go to start-up, features and the probes after training
[ "$SMOKE" = 1 ] || MIN=$(python3 -c "print(round(min($MIN, max(0.5, ($(left) - 110) / 60)), 2))")
stamp "labels: $MIN min each"
i=0
for s in "${SPECS[@]}"; do
  PYTHONWARNINGS=ignore LABELS_THREADS=3 timeout $(( $(left) - 5 )) python3 labels.py $s --device $DEV --bs 256 --minutes $MIN > /tmp/labels_$i.log 2>&1 &
  i=$((i + 1))
done
wait
cd ../..
for j in $(seq 0 $((i - 1))); do echo "=== ${SPECS[$j]}"; grep -v Warning /tmp/labels_$j.log | grep -v "x = torch.from_numpy" | tail -c 6000; done > "$OUT/labels.log"
cp "$RECIPE_OUT/labels_results.jsonl" "$OUT/" 2>/dev/null
stamp "labels done"

if [ "$(left)" -gt 70 ] && [ "$SMOKE" = 0 ]; then
  timeout $(( $(left) - 5 )) python3 bench/bench_refs.py --device cuda --amp bf16 --mae-repo .gpu/mae --configs base:224:64 \
    --rounds 1 --steps 10 --warm 3 --models official hf ours-vsc ours-views > "$OUT/refs.log" 2>&1
  stamp "refs done (rc $?)"
fi
stamp "end"
