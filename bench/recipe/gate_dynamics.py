"""Why a model's VSC gates sit between 0.1 and 0.9 (issue 11): the CLS dimensions whose γ is in (0.1, 0.9) on more than
90 % of 300 default synthetic birds ("stuck"), their median γ at each given checkpoint, and the gradient on log γ of
each loss term (reconstruction, weighted KL / L0 cost, weighted InfoNCE) summed over 4 training batches of 64, for the
stuck, the on and the off dimensions (positive: pushes γ up); and the share of open gates at exactly γ = 1.

    python bench/recipe/gate_dynamics.py runs/pretrain/weights.safetensors [runs/pretrain/checkpoints/checkpoint-*.pth ...]
"""
import sys, numpy as np, torch
sys.path.insert(0, str(__import__('pathlib').Path(__file__).resolve().parent))
import harness
from ebird_mae.models import load_model
from ebird_mae.vsc import GATE_ON
from ebird_mae.train import load_checkpoint

def cls_gamma(m, x):
    with torch.no_grad(): return m.vsc_head(m.forward_features(x))[2].exp().numpy()[:, 0]

def saturated_share(g):
    "Share of the open gates (γ > ½) at exactly γ = 1, where −ReLU(−h) passes no gradient to h."
    on = g > GATE_ON
    return float((g[on] == 1).mean()) if on.any() else 0.

def term_gradients(m, x, prior_weight, c=200., bs=64):
    "Gradient of each loss term on log γ, summed over tokens and batches, per dimension (−∂L/∂log γ)."
    m.train(); acc = {t: np.zeros(m.latent_dim) for t in ('rec', 'prior', 'inv')}
    for b in range(len(x) // bs):
        out = m(x[b * bs:(b + 1) * bs], c=c, prior_weight=prior_weight, generator=torch.Generator().manual_seed(b))
        inv = getattr(out, 'loss_inv', None)
        terms = dict(rec=out.loss_rec, prior=out.prior_weight * out.loss_kl, inv=m.views_cfg.weight * inv if inv is not None else None)
        for t, loss in terms.items():
            if loss is None: continue
            g, = torch.autograd.grad(loss, out.log_gamma, retain_graph=True)
            acc[t] += (-g).sum((0, 1)).numpy()
    m.eval(); return acc

def main(path, *checkpoints, n=300, prior_weight=3e-4):
    torch.set_num_threads(2); torch.manual_seed(0)
    m, _ = load_model(path); m.eval()
    _, imgs = harness.data()
    x = harness.to_input(imgs[np.sort(np.random.default_rng(0).choice(len(imgs), n, replace=False))])
    g = cls_gamma(m, x)
    groups = dict(stuck=((g > .1) & (g < .9)).mean(0) > .9, on=(g > .9).mean(0) > .5, off=(g < .1).mean(0) > .9)
    print('CLS dimensions:', {k: int(v.sum()) for k, v in groups.items()})
    print(f"open CLS gates (γ > ½): {(g > GATE_ON).mean():.1%} of entries, {saturated_share(g):.0%} of them at exactly γ = 1 (no gradient through γ)")
    final = {k: v.clone() for k, v in m.state_dict().items()} if checkpoints else None
    for ck in checkpoints:
        m.load_state_dict(load_checkpoint(ck)['model']); gc = cls_gamma(m, x)
        print(f"{ck}: median γ of the stuck dims {np.median(gc[:, groups['stuck']]):.3f}; γ in (0.1, 0.9) {((gc > .1) & (gc < .9)).mean():.1%}")
    if final is not None: m.load_state_dict(final)
    acc = term_gradients(m, x[:256], prior_weight)
    for k, msk in groups.items():
        print(f"{k:>5}: −∂L/∂log γ, mean over the group's dims:", {t: f"{v[msk].mean():+.2e}" for t, v in acc.items()})

if __name__ == '__main__': main(*sys.argv[1:])
