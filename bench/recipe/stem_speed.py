"""Training-step images/s of the default views recipe (tiny, 64 px, batch 64, fp32, 2 threads) with the linear patch
embedding against the package's hybrid stems (`MAEConfig.stem`: ResNet-18 stem + stages 1-2, and the same at half
width; hidden patches zeroed first); 2 interleaved rounds, 10 timed steps after 3 warm-up steps each.

    python bench/recipe/stem_speed.py
"""
import sys, time, torch
sys.path.insert(0, str(__import__('pathlib').Path(__file__).resolve().parent))
from labels import build_vit
torch.set_num_threads(2)
def build(stem):
    torch.manual_seed(0)
    return build_vit(stem).train()
def rate(m, steps=10, warm=3):
    opt = torch.optim.AdamW(m.parameters(), lr=1e-4, fused=True); x = torch.randn(64, 3, 64, 64); g = torch.Generator().manual_seed(0)
    for i in range(warm + steps):
        if i == warm: t = time.perf_counter()
        out = m(x, generator=g, prior_weight=1e-3); opt.zero_grad(); out.loss.backward(); opt.step()
    return 64 * steps / (time.perf_counter() - t)
res = {}
for r in range(2):
    for s in ('linear', 'resnet', 'resnet_half'):
        res.setdefault(s, []).append(rate(build(s))); print(r, s, round(res[s][-1], 1), flush=True)
print({s: round(sum(v) / len(v), 1) for s, v in res.items()}, 'slow-down vs linear', {s: round(sum(res['linear']) / sum(v), 2) for s, v in res.items()})
