#!/bin/bash
# interleaved fp32 / bf16 step-speed A/B of mask ratios: 40 steps each, median img/s of the logged intervals after the first
cd "$(dirname "$0")/../.." && . .venv/bin/activate
for rnd in 1 2; do for amp in off bf16; do for r in 0.75 0.3; do
  d=/tmp/ab_${amp}_${r}_$rnd; rm -rf $d
  flock /tmp/cpu.lock ebird_mae_pretrain --output_dir $d --progress false --tensorboard false --recon_every 0 --amp $amp --mask_ratio $r --max_steps 40 --log_every 10 > /dev/null 2>&1
  python3 -c "
import json,statistics
v=[json.loads(l)['imgs_per_s'] for l in open('$d/log.jsonl') if '\"train\"' in l][1:]
print('$amp', '$r', $rnd, round(statistics.median(v),1))"
done; done; done
