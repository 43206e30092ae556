"""Is the family in the bird's tokens, and does the CLS token look at the bird? (issue 11). On the default synthetic
birds, the model's final tokens are pooled seven ways and probed with the project's own `probe_table` (logistic
regression and cosine kNN; seen species one split, unseen species the mean of N species-held-out splits):
`cls` (the CLS token), `mean` (every patch token), `bird` (patches weighted by the share of their pixels inside the
ground-truth bird mask), `scene` (patches with no bird pixel), `attn` (patches weighted by the last block's CLS
attention, averaged over heads: a label-free pooling), `odd` (label-free too: each patch weighted by how far its
token lies from its image's mean patch token, above the image's median distance — the bird as the part of the photo
unlike the rest) and `edge` (label-free: the same, measured from the mean token of the patches on the frame's edge —
the photographer's prior that the frame's edge is scene) — each for the encoder's tokens and for the per-token code γ⊙μ.
It also reports how much of the CLS token's attention falls on bird patches against their share of the patches, and
how well the `odd` and `edge` distances find the bird's patches (ROC AUC per image, averaged).
`bird` and `scene` read the ground-truth masks: a diagnostic, not an embedding for real photos.
Usage: python bench/recipe/bird_pool.py [WEIGHTS] [--out CSV] [--unseen_seeds 5]"""
import argparse, time
import numpy as np, pandas as pd, torch, torch.nn.functional as F
from PIL import Image
from ebird_mae.synth import default_dataset
from ebird_mae.data import eval_transform, eval_label_masks
from ebird_mae.vsc import vsc_code
from evaluate import load_weights, probe_splits
from ebird_mae.explain import record_attention

def batch_inputs(rows, size, crop_pct:float=0.875):
    "Images through the embedding's eval transform, and their bird masks (any part) in the same geometry."
    tf = eval_transform(size, crop_pct)
    x = torch.stack([tf(Image.open(p).convert('RGB')) for p in rows.path])
    m = torch.from_numpy(eval_label_masks(rows.mask_path, size, crop_pct) > 0).float()[:, None]
    return x, m

def contrast(tok, ref):
    "Each patch token's distance from `ref` (B, 1, D), and the pooling weights it gives: the excess over the image's median."
    d = (tok - ref).norm(dim=-1)
    return d, (d - d.median(1, keepdim=True).values).clamp_min(0)

@torch.no_grad()
def pooled(model, table, batch:int=250) -> tuple[dict, dict]:
    "name -> (n, d) features for every pooling, and the CLS attention's share on bird patches."
    p = model.cfg.patch_size; out, att_bird, area_bird, odd_bird, edge_bird = {}, [], [], [], []
    g = model.cfg.img_size // p; edge = torch.zeros(g, g, dtype=torch.bool); edge[[0, -1]] = True; edge[:, [0, -1]] = True
    edge = edge.flatten()
    for s in range(0, len(table), batch):
        x, m = batch_inputs(table.iloc[s:s + batch], model.cfg.img_size)
        frac = F.avg_pool2d(m, p).flatten(1)                                   # (B, L) bird share of each patch
        with record_attention(model) as maps:
            tok = model.forward_features(x).float()
            a = maps[len(model.blocks) - 1][:, :, 0, 1:].float().mean(1)    # (B, L) CLS → patches, last block
        a = a / a.sum(1, keepdim=True)
        att_bird.append((a * (frac > 0)).sum(1)); area_bird.append((frac > 0).float().mean(1))
        mu, _, lg = model.vsc_head(tok); code = vsc_code(mu, lg, 'gamma_mu').float()
        pt = tok[:, 1:]
        d, odd = contrast(pt, pt.mean(1, keepdim=True))              # how unlike its image's average a patch is
        db, away = contrast(pt, pt[:, edge].mean(1, keepdim=True))   # how unlike the frame's edge patches
        odd_bird.append(roc_auc(d, frac > 0)); edge_bird.append(roc_auc(db, frac > 0))
        ws = {'mean': torch.ones_like(frac), 'bird': frac, 'scene': (frac == 0).float(), 'attn': a, 'odd': odd, 'edge': away}
        ws = {k: w / w.sum(1, keepdim=True).clamp_min(1e-8) for k, w in ws.items()}
        for src, t in (('enc', tok), ('gamma_mu', code)):
            out.setdefault(f'{src}_cls', []).append(t[:, 0])
            for k, w in ws.items(): out.setdefault(f'{src}_{k}', []).append((w[..., None] * t[:, 1:]).sum(1))
    feats = {k: torch.cat(v).numpy() for k, v in out.items()}
    att, area = torch.cat(att_bird), torch.cat(area_bird)
    return feats, dict(attn_on_bird=float(att.mean()), bird_patch_share=float(area.mean()), odd_auc=float(np.mean(odd_bird)), edge_auc=float(np.mean(edge_bird)))

def roc_auc(score, pos) -> float:
    "Mean over images of the ROC AUC of `score` for the patches in `pos` (images with both kinds of patch only)."
    r = score.argsort(1).argsort(1).float() + 1; n1 = pos.sum(1).float(); n0 = pos.shape[1] - n1; ok = (n1 > 0) & (n0 > 0)
    return float((((r * pos).sum(1) - n1 * (n1 + 1) / 2) / (n1 * n0).clamp_min(1))[ok].mean())

def main():
    ap = argparse.ArgumentParser(); ap.add_argument('weights', nargs='?'); ap.add_argument('--out', default=None)
    ap.add_argument('--unseen_seeds', type=int, default=5)
    a = ap.parse_args()
    model, prov = load_weights(a.weights)
    table = default_dataset().reset_index(drop=True)
    t0 = time.time(); feats, att = pooled(model, table); te = time.time() - t0
    print(f"model: {prov}; pooled in {te:.0f} s; CLS attention on bird patches {att['attn_on_bird']:.1%} "
          f"(bird patches are {att['bird_patch_share']:.1%} of the patches); the odd patches find the bird with AUC {att['odd_auc']:.2f}, "
          f"the edge contrast with AUC {att['edge_auc']:.2f}")
    rows = probe_splits(feats, table, a.unseen_seeds)
    print(f"top-1; unseen = mean of {a.unseen_seeds} splits")
    print(rows.pivot_table(index=['feature', 'method'], columns='split', values='top1', aggfunc='mean').round(3).to_string())
    if a.out: rows.assign(**att).to_csv(a.out, index=False)

if __name__ == '__main__': main()
