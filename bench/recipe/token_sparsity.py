"""Use of the sparse code per token (issue 11): γ of the CLS token and of every patch token of a model, on 600 of the
default synthetic birds (fixed draw): median active dimensions (γ > ½) per token, share of γ in (0.1, 0.9), dimensions
ever active, and histograms of γ. `evaluate.py` reports the pooled codes; this looks under the pooling.

    python bench/recipe/token_sparsity.py runs/pretrain/weights.safetensors
"""
import sys, numpy as np, torch
sys.path.insert(0, str(__import__('pathlib').Path(__file__).resolve().parent))
import harness
from ebird_mae.models import load_model
from ebird_mae.vsc import GATE_ON

EDGES = [0, .01, .05, .1, .3, .5, .7, .9, .99, 1]

def main(path, n=600):
    m, _ = load_model(path); m.eval(); torch.set_num_threads(2)
    _, imgs = harness.data()
    idx = np.sort(np.random.default_rng(0).choice(len(imgs), n, replace=False))
    with torch.no_grad(): g = m.vsc_head(m.forward_features(harness.to_input(imgs[idx])))[2].exp().numpy()
    for name, t in (('CLS token', g[:, :1]), ('patch tokens', g[:, 1:])):
        act = t > GATE_ON
        print(f"{name}: median active dims per token {np.median(act.sum(-1)):.0f} (mean {act.sum(-1).mean():.2f}); "
              f"γ in (0.1, 0.9) {((t > .1) & (t < .9)).mean():.1%}; dims active in ≥ 1 % of tokens {(act.mean((0, 1)) >= .01).sum()}, ever {act.any((0, 1)).sum()}")
        h = np.histogram(t, bins=EDGES)[0] / t.size
        print('  γ histogram:', ', '.join(f"[{a}, {b}) {v:.1%}" for a, b, v in zip(EDGES, EDGES[1:], h)))
    act = (g[:, 1:] > GATE_ON).any(1)
    print(f"dimensions active in at least one patch of an image: median {np.median(act.sum(1)):.0f}")

if __name__ == '__main__': main(sys.argv[1])
