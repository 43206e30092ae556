#!/usr/bin/env bash
# One prepared session on a lent GPU (the `device` tool: one machine, 15 minutes for everything), run from the repo root.
# Parts, in this order (PARTS selects; default "labels refs gpu"):
#   labels   issue 11's study budget: four unseen-species runs of bench/recipe/labels.py side by side on the GPU, each for
#            LABELS_MIN minutes (the self-supervised default recipe, the same with a convolutional stem, and the two
#            supervised upper bounds: ViT-tiny and ResNet-18), probed like every other row;
#   refs     the training step against the reference MAE implementations on the GPU, bf16, 2 interleaved rounds;
#   gpu      issue 15: ViT-B/16 224-px MAE-VSC training in bf16, images/s and MFU, eager and compiled (bench_gpu.py);
#   explain  issue 12: every explainer's images/s on CUDA against Chefer et al.'s reference (bench_explain.py).
# Session 5 ran explain, gpu and labels in that order with a 500-s budget: the three ViT label runs were killed in
# their probes (four processes, each with a BLAS pool of all 16 cores), so labels now run first with 3 BLAS threads
# each, and save their features before probing.
# Needs `.gpu/` (ignored; carried): site/ (pure-Python packages the GPU image lacks: fastcore, birdnames, lxt, captum,
# timm), chefer/ (baselines/ and modules/ of hila-chefer/Transformer-Explainability), mae/ (models_mae.py + util/ of
# facebookresearch/mae) and pixel_unseen_probe.json (the pixel-PCA row, deterministic). Logs go to $OUT (≤ 8 files).
# SMOKE=1 runs every part at toy size on the CPU (checks the script, not the speed).
set -u
OUT=${OUT:-/tmp/device_out}; mkdir -p "$OUT"
export PYTHONPATH=$PWD/.gpu/site:$PWD PYTHONUNBUFFERED=1 EBIRD_MAE_DATA=/tmp/synth RECIPE_OUT=/tmp/rec
T0=$(date +%s); BUDGET=${BUDGET:-540}; MIN=${LABELS_MIN:-3}; PARTS=${PARTS:-labels refs gpu}
left() { echo $(( BUDGET - ($(date +%s) - T0) )); }
stamp() { echo "== $1 at $(( $(date +%s) - T0 )) s" >> "$OUT/setup.log"; }
has() { [[ " $PARTS " == *" $1 "* ]]; }
SMOKE=${SMOKE:-0}
if [ "$SMOKE" = 1 ]; then DEV=cpu; MIN=0.02; BUDGET=3600; else DEV=cuda; fi   # a smoke test has no time budget

{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1; nproc
  python3 -c "import torch, timm, ebird_mae.explain, ebird_mae.train; print('torch', torch.__version__, 'timm', timm.__version__, 'cuda', torch.cuda.is_available())"
} > "$OUT/setup.log" 2>&1 || { echo "imports failed"; cat "$OUT/setup.log"; exit 3; }

if has labels; then
  mkdir -p "$RECIPE_OUT"; cp .gpu/pixel_unseen_probe.json "$RECIPE_OUT/"
  (cd bench/recipe && python3 -c "import harness; df, x = harness.data(64); print(len(df), x.shape)") >> "$OUT/setup.log" 2>&1
  stamp "data ready"
  cd bench/recipe
  SPECS=("--mode none" "--mode none --stem conv" "--mode family" "--mode family --arch resnet18")
  [ "$SMOKE" = 1 ] && SPECS=("--mode none")
  i=0
  for s in "${SPECS[@]}"; do
    PYTHONWARNINGS=ignore LABELS_THREADS=3 OMP_NUM_THREADS=3 OPENBLAS_NUM_THREADS=3 MKL_NUM_THREADS=3 \
      timeout $(( $(left) - 5 )) python3 labels.py $s --device $DEV --bs 256 --minutes $MIN > /tmp/labels_$i.log 2>&1 &
    i=$((i + 1))
  done
  wait
  cd ../..
  for j in $(seq 0 $((i - 1))); do echo "=== ${SPECS[$j]}"; grep -v "Warning\|from_numpy" /tmp/labels_$j.log | tail -c 4000; done > "$OUT/labels.log"
  cp "$RECIPE_OUT/labels_results.jsonl" "$OUT/" 2>/dev/null
  stamp "labels done"
fi

if has refs && [ "$SMOKE" = 0 ] && [ "$(left)" -gt 100 ]; then
  timeout $(( $(left) - 5 )) python3 bench/bench_refs.py --device cuda --amp bf16 --mae-repo .gpu/mae --configs base:224:64 tiny:64:256 \
    --rounds 2 --steps 10 --warm 3 --models official hf ours-mae ours-vsc > "$OUT/refs.log" 2>&1
  stamp "refs done (rc $?)"
fi

if has gpu; then
  if [ "$SMOKE" = 1 ]; then timeout 300 python3 bench/bench_gpu.py --smoke-cpu > "$OUT/gpu.log" 2>&1
  elif [ "$(left)" -gt 60 ]; then timeout $(( $(left) - 5 )) python3 bench/bench_gpu.py --steps 15 --warm 5 > "$OUT/gpu.log" 2>&1; fi
  stamp "gpu bench done (rc $?)"
fi

if has explain; then
  if [ "$SMOKE" = 1 ]; then
    timeout 300 python3 bench/bench_explain.py --device cpu --sizes tiny --batch 2 --reps 1 --no-isolate --methods chefer_lrp,rollout --chefer-repo .gpu/chefer > "$OUT/explain.log" 2>&1
  elif [ "$(left)" -gt 60 ]; then
    timeout $(( $(left) - 5 )) python3 bench/bench_explain.py --device cuda --batch 32 --chefer-repo .gpu/chefer > "$OUT/explain.log" 2>&1
  fi
  stamp "explain done (rc $?)"
fi
stamp "end"
