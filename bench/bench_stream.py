"""The residual stream under bf16 autocast: kept in bf16 (`core.bf16_stream`, the models' default) against float32 (the
models before it), our MAE training step, interleaved in one process.

    python bench/bench_stream.py                       # our plain MAE, tiny, 64 px, batch 64, 5 rounds
    python bench/bench_stream.py --model default       # the trainer's default model (hybrid stem, views, MAE-VSC)
    python bench/bench_stream.py --size base --batch 8 --rounds 3

Step = forward under bf16 autocast + backward + `clip_grad_norm_(3.0)` + fused AdamW, eager attention (what the trainer
uses for bf16 training on a CPU, `core.fused_attention`), one random batch and a fixed mask. The float32 variant
replaces `models.bf16_stream` (looked up at call time) by the identity, so both run the same code otherwise.
Prints images/s per round, the medians and their ratio, and the last loss of each (finite, close).
"""
import argparse, statistics, time
import torch
from ebird_mae import models as M


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--size', default='tiny'); ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--rounds', type=int, default=5); ap.add_argument('--steps', type=int, default=8)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--model', default='mae', choices=['mae', 'default'], help="'mae': `models.create_mae`; 'default': `train.build_model(TrainConfig(size=...))`")
    a = ap.parse_args()
    torch.set_num_threads(a.threads); torch.manual_seed(0)
    if a.model == 'mae': m, knobs = M.create_mae(a.size), {}
    else:
        from ebird_mae.train import TrainConfig, build_model
        m = build_model(TrainConfig(size=a.size, progress=False))
        knobs = {k: v for k, v in dict(c=50., prior_weight=3e-4).items() if k in m.train_knobs}
    M.set_fused_attention(m, False)
    x = torch.randn(a.batch, 3, m.cfg.img_size, m.cfg.img_size)
    noise = torch.rand(a.batch, m.cfg.num_patches, generator=torch.Generator().manual_seed(1))
    opt = torch.optim.AdamW(m.parameters(), lr=1e-4, betas=(0.9, 0.95), fused=True)
    bf16 = M.bf16_stream

    def step():
        with torch.autocast('cpu', dtype=torch.bfloat16): loss = m(x, noise=noise, **knobs).loss
        loss.backward(); torch.nn.utils.clip_grad_norm_(m.parameters(), 3.0); opt.step(); opt.zero_grad(set_to_none=True)
        return loss.item()

    res, last = {'float32 stream': [], 'bf16 stream': []}, {}
    for r in range(a.rounds):
        for name in res:
            M.bf16_stream = bf16 if name == 'bf16 stream' else (lambda t: t)
            for _ in range(2): step()
            t = time.perf_counter()
            for _ in range(a.steps): last[name] = step()
            res[name].append(a.batch * a.steps / (time.perf_counter() - t))
            print(f'round {r + 1} {name}: {res[name][-1]:.1f} img/s, loss {last[name]:.4f}', flush=True)
    M.bf16_stream = bf16
    med = {k: statistics.median(v) for k, v in res.items()}
    print(f"{a.model} {a.size}, batch {a.batch}, {a.threads} threads: " + ', '.join(f'{k} {v:.1f} img/s' for k, v in med.items())
          + f"; bf16 / float32 stream {med['bf16 stream'] / med['float32 stream']:.2f}x")


if __name__ == '__main__': main()
