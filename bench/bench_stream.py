"""The residual stream under bf16 autocast: kept in bf16 (`core.bf16_stream`, the models' default) against float32 (the
models before it), interleaved in one process.

    python bench/bench_stream.py                       # our plain MAE's training step, tiny, 64 px, batch 64, 5 rounds
    python bench/bench_stream.py --model default       # the trainer's default model (hybrid stem, views, MAE-VSC)
    python bench/bench_stream.py --size base --batch 8 --rounds 3 --steps 3
    python bench/bench_stream.py --model trainer --rounds 5 --steps 60   # the whole trainer, end to end

Step = forward under bf16 autocast + backward + `clip_grad_norm_(3.0)` + fused AdamW, eager attention (what the trainer
uses for bf16 training on a CPU, `core.fused_attention`), one random batch and a fixed mask. `--model trainer` runs
`train.pretrain` (default recipe, `--amp auto`: bf16 on a native-bf16 CPU) from scratch for `--steps` steps per round
in a temporary folder; its speed is the median of the logged images/s after the first log interval (warm-up).
The float32 variant replaces `models.bf16_stream` (looked up at call time) by the identity, so both run the same code
otherwise. Prints images/s per round, the medians and their ratio.
"""
import argparse, json, statistics, tempfile, time
from pathlib import Path
import torch
from ebird_mae import models as M


def step_runner(a):
    "A function timing `a.steps` training steps of the model `a` names (after 2 warm-up steps): images/s."
    torch.manual_seed(0)
    if a.model == 'mae': m, knobs = M.create_mae(a.size), {}
    else:
        from ebird_mae.train import TrainConfig, build_model
        m = build_model(TrainConfig(size=a.size, progress=False))
        knobs = {k: v for k, v in dict(c=50., prior_weight=3e-4).items() if k in m.train_knobs}
    M.set_fused_attention(m, False)
    x = torch.randn(a.batch, 3, m.cfg.img_size, m.cfg.img_size)
    noise = torch.rand(a.batch, m.cfg.num_patches, generator=torch.Generator().manual_seed(1))
    opt = torch.optim.AdamW(m.parameters(), lr=1e-4, betas=(0.9, 0.95), fused=True)

    def step():
        with torch.autocast('cpu', dtype=torch.bfloat16): loss = m(x, noise=noise, **knobs).loss
        loss.backward(); torch.nn.utils.clip_grad_norm_(m.parameters(), 3.0); opt.step(); opt.zero_grad(set_to_none=True)
        assert torch.isfinite(loss), 'loss not finite'

    def run():
        for _ in range(2): step()
        t = time.perf_counter()
        for _ in range(a.steps): step()
        return a.batch * a.steps / (time.perf_counter() - t)
    return run


def trainer_runner(a):
    "A function running `pretrain` for `a.steps` steps from scratch: the median logged images/s after the first interval."
    from ebird_mae.train import TrainConfig, pretrain
    def run():
        with tempfile.TemporaryDirectory() as d:
            pretrain(TrainConfig(output_dir=d, max_steps=a.steps, progress=False, tensorboard=False, recon_every=0))
            recs = [json.loads(l) for l in open(Path(d)/'log.jsonl')]
        return statistics.median([r['imgs_per_s'] for r in recs if r.get('kind') == 'train'][1:])
    return run


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', default='mae', choices=['mae', 'default', 'trainer'],
                    help="'mae': `models.create_mae`'s step; 'default': `train.build_model(TrainConfig(size=...))`'s step; 'trainer': `train.pretrain`")
    ap.add_argument('--size', default='tiny'); ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--rounds', type=int, default=5); ap.add_argument('--steps', type=int, default=None, help='default: 8 (a step), 60 (the trainer)')
    ap.add_argument('--threads', type=int, default=2)
    a = ap.parse_args()
    a.steps = a.steps or (60 if a.model == 'trainer' else 8)
    torch.set_num_threads(a.threads)
    run = (trainer_runner if a.model == 'trainer' else step_runner)(a)
    bf16, res = M.bf16_stream, {'float32 stream': [], 'bf16 stream': []}
    try:
        for r in range(a.rounds):
            for name in res:
                M.bf16_stream = bf16 if name == 'bf16 stream' else (lambda t: t)
                res[name].append(run()); print(f'round {r + 1} {name}: {res[name][-1]:.1f} img/s', flush=True)
    finally: M.bf16_stream = bf16
    med = {k: statistics.median(v) for k, v in res.items()}
    what = 'the trainer' if a.model == 'trainer' else f'{a.model} {a.size}, batch {a.batch}'
    print(f"{what}, {a.threads} threads: " + ', '.join(f'{k} {v:.1f} img/s' for k, v in med.items())
          + f"; bf16 / float32 stream {med['bf16 stream'] / med['float32 stream']:.2f}x")


if __name__ == '__main__': main()
