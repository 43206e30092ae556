"""The default model's training step with the second view masked (the default) against the second view whole
(`ViewsConfig.mask_ratio2=0`), interleaved in one process: the bench's shared step (`bench/_step.py`: the trainer's
model and optimizer, one random batch) under bf16 autocast with eager attention, clipping; 5 rounds of 5 steps, medians.

    python bench/recipe/views_step_ab.py
"""
import sys, time, statistics
from pathlib import Path
ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT/'bench')]
import torch
from _step import model_step_setup, run_banner
from ebird_mae.train import TrainConfig
from ebird_mae.models import set_fused_attention


def make(views:dict):
    "One training step of the default model with these `ViewsConfig` fields."
    s = model_step_setup(TrainConfig(progress=False, views=views)); set_fused_attention(s.model, False)
    def step():
        with torch.autocast('cpu', dtype=torch.bfloat16): loss = s.model(s.x, generator=s.gen, **s.knobs).loss
        loss.backward(); torch.nn.utils.clip_grad_norm_(s.params, 3.0); s.opt.step(); s.opt.zero_grad(set_to_none=True)
    return step, s.x.shape[0]


print(run_banner(amp='bf16', rounds=5))
arms = {'second view masked (default)': make({}), 'second view whole (mask_ratio2=0)': make({'mask_ratio2': 0.0})}
for step, _ in arms.values(): step(); step()
rates = {k: [] for k in arms}
for _ in range(5):
    for k, (step, b) in arms.items():
        t = time.perf_counter()
        for _ in range(5): step()
        rates[k].append(b * 5 / (time.perf_counter() - t))
ra, rb = rates.values()
for k, v in rates.items(): print(f"{k}: {statistics.median(v):.1f} img/s (rounds {', '.join(f'{u:.0f}' for u in v)})")
print(f"ratio {statistics.median(y / x for x, y in zip(ra, rb)):.2f}")
