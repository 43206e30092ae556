"""The default model's training step with the second view masked (the default) against the second view whole
(`ViewsConfig.mask_ratio2=0`), interleaved in one process: bf16 autocast, eager attention, fused AdamW, clipping,
one random batch of 64 at 64 px; 5 rounds of 5 steps, medians.

    python bench/recipe/views_step_ab.py
"""
import sys, time, statistics, torch
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from ebird_mae.train import TrainConfig, build_model
from ebird_mae.models import set_fused_attention
torch.manual_seed(0)
x = torch.randn(64, 3, 64, 64)
def make(v):
    m = build_model(TrainConfig(progress=False, views=v)); set_fused_attention(m, False); m.train()
    opt = torch.optim.AdamW(m.parameters(), lr=1e-4, fused=True); g = torch.Generator().manual_seed(0)
    def step():
        with torch.autocast('cpu', dtype=torch.bfloat16): loss = m(x, generator=g, c=50., prior_weight=3e-4).loss
        loss.backward(); torch.nn.utils.clip_grad_norm_(m.parameters(), 3.0); opt.step(); opt.zero_grad(set_to_none=True)
    return step
A, B = make({}), make({'mask_ratio2': 0.0})
for s in (A, B): s(); s()
ra, rb = [], []
for r in range(5):
    for s, out in ((A, ra), (B, rb)):
        t = time.perf_counter()
        for _ in range(5): s()
        out.append(64 * 5 / (time.perf_counter() - t))
print('default', [round(v) for v in ra], 'mask_ratio2=0', [round(v) for v in rb])
print('medians', round(statistics.median(ra), 1), round(statistics.median(rb), 1), 'ratio', round(statistics.median(b / a for a, b in zip(ra, rb)), 3))
