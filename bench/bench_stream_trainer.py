"""The bf16 residual stream end to end: the trainer (`train.pretrain`, default recipe, bf16 on a native-bf16 CPU) with
`models.bf16_stream` as built (bf16 stream) and replaced by the identity (float32 stream), interleaved in one process.

    python bench/bench_stream_trainer.py                 # 3 rounds of 60 steps each, tiny, batch 64

Speed per run = the median of the trainer's logged images/s over its log intervals after the first (warm-up); the
table gives the median over rounds and the ratio. Each run starts from scratch in a temporary folder (same seed).
"""
import argparse, json, statistics, tempfile
from pathlib import Path
from ebird_mae import models as M
from ebird_mae.train import TrainConfig, pretrain


def run(steps, out):
    pretrain(TrainConfig(output_dir=str(out), max_steps=steps, progress=False, tensorboard=False, recon_every=0))
    recs = [json.loads(l) for l in open(Path(out)/'log.jsonl')]
    v = [r['imgs_per_s'] for r in recs if r.get('kind') == 'train'][1:]
    return statistics.median(v), recs[-1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--rounds', type=int, default=3); ap.add_argument('--steps', type=int, default=60)
    a = ap.parse_args()
    bf16, res = M.bf16_stream, {'float32 stream': [], 'bf16 stream': []}
    for r in range(a.rounds):
        for name in res:
            M.bf16_stream = bf16 if name == 'bf16 stream' else (lambda t: t)
            with tempfile.TemporaryDirectory() as d: s, _ = run(a.steps, d)
            res[name].append(s); print(f'round {r + 1} {name}: {s:.1f} img/s', flush=True)
    M.bf16_stream = bf16
    med = {k: statistics.median(v) for k, v in res.items()}
    print(', '.join(f'{k} {v:.1f} img/s' for k, v in med.items()) + f"; ratio {med['bf16 stream'] / med['float32 stream']:.2f}x")


if __name__ == '__main__': main()
