"""What labels could buy (issue 11): two experiments on the unseen-species protocol, pretraining only on the images of
the `split_unseen == 'train'` species, so the held-out species are never seen at all (stricter than the default run,
whose pretraining sees every species' images, unlabelled).

  --mode family   supervised upper bound: the ViT-tiny encoder + a linear family head, cross-entropy on family, on
                  the same views (crop, flip, colour). Not a recipe (it uses the labels the probe predicts); it says
                  how far a 64-px ViT-tiny *can* carry family morphology to unseen species in this budget.
  --mode species  the default MAE-VSC + views recipe, plus `--w` × cross-entropy of a linear *species* head on the
                  pooled code γ⊙μ of the reconstructed view. eBird / iNat / CUB photos all carry a species label, so this is
                  weak supervision a user has; the family label is never used.
  --mode none     the default recipe on the same species-restricted data (the reference for both).

Evaluation: standardised logistic regression (C on a grid, by 3-fold species-grouped CV) on the features of
split_unseen train+val images, accuracy on the split_unseen test species (whole split), with a species bootstrap 95 %
interval; pixel-PCA-256 on the same split.

    RECIPE_OUT=/work/exp python bench/recipe/labels.py --mode species --steps 600
"""
import argparse, json, time, math, os
import numpy as np, pandas as pd, torch, torch.nn as nn, torch.nn.functional as F
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.decomposition import PCA
from sklearn.model_selection import GroupKFold
import harness
from ebird_mae.views import create_mae_vsc_views, random_views, ViewsConfig
from ebird_mae.vsc import vsc_code

def probe(X, df, seed=0):
    tr, te = df.split_unseen.isin(['train', 'val']).values, (df.split_unseen == 'test').values
    sc = StandardScaler().fit(X[tr]); Xtr, Xte = sc.transform(X[tr]), sc.transform(X[te])
    y, g = df.family.values, df.species.values
    best = None
    for C in (0.01, 0.1, 1.0):
        acc = np.mean([LogisticRegression(C=C, max_iter=300).fit(Xtr[a], y[tr][a]).score(Xtr[b], y[tr][b])
                       for a, b in GroupKFold(3).split(Xtr, groups=g[tr])])
        if best is None or acc > best[0]: best = (acc, C)
    pred = LogisticRegression(C=best[1], max_iter=500).fit(Xtr, y[tr]).predict(Xte)
    hit, sp = pred == y[te], g[te]
    rng, uniq = np.random.default_rng(seed), np.unique(sp)
    per = {s: hit[sp == s] for s in uniq}
    boots = [np.concatenate([per[s] for s in rng.choice(uniq, len(uniq))]).mean() for _ in range(500)]
    return dict(unseen=round(float(hit.mean()), 3), lo=round(float(np.percentile(boots, 2.5)), 3),
                hi=round(float(np.percentile(boots, 97.5)), 3), C=best[1], n_test_species=len(uniq))

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--mode', choices=['family', 'species', 'none'], required=True)
    ap.add_argument('--steps', type=int, default=600); ap.add_argument('--bs', type=int, default=64)
    ap.add_argument('--lr', type=float, default=1.5e-3 * 64 / 256); ap.add_argument('--w', type=float, default=1.0)
    a = ap.parse_args()
    torch.manual_seed(0); torch.set_num_threads(int(os.environ.get("LABELS_THREADS", "2")))
    df, imgs = harness.data()
    rows = np.flatnonzero((df.split_unseen == 'train').values)
    sp_codes, _ = pd.factorize(df.species); fam_codes, fams = pd.factorize(df.family)
    model = create_mae_vsc_views('tiny').train()
    vc = ViewsConfig()
    n_out = len(fams) if a.mode == 'family' else int(sp_codes.max()) + 1
    width = model.cfg.embed_dim if a.mode == 'family' else model.latent_dim
    head = nn.Linear(width, n_out)
    params = list(model.parameters()) + list(head.parameters())
    opt = torch.optim.AdamW(params, lr=a.lr, betas=(0.9, 0.95), weight_decay=0.05)
    g = torch.Generator().manual_seed(0); rng = np.random.default_rng(0)
    t0, log = time.time(), []
    for step in range(a.steps):
        lr = a.lr * min(1, (step + 1) / 50) * 0.5 * (1 + math.cos(math.pi * step / a.steps))
        for pg in opt.param_groups: pg['lr'] = lr
        b = rng.choice(rows, a.bs, replace=False)
        x = harness.to_input(imgs[np.sort(b)]); b = np.sort(b)
        if a.mode == 'family':
            t = model.forward_features(random_views(x, vc, g))
            loss = ce = F.cross_entropy(head(t[:, 0]), torch.from_numpy(fam_codes[b]))
        else:
            prior = min(1.0, step / 125) * 1e-3
            out = model(x, generator=g, prior_weight=prior)
            loss, ce = out.loss, torch.zeros(())
            if a.mode == 'species':
                ce = F.cross_entropy(head(model.pooled_code(out.mu, out.log_gamma)), torch.from_numpy(sp_codes[b]))
                loss = loss + a.w * ce
        opt.zero_grad(set_to_none=True); loss.backward(); torch.nn.utils.clip_grad_norm_(params, 3.0); opt.step()
        if step % 50 == 0 or step == a.steps - 1:
            log.append(dict(step=step, loss=round(float(loss), 4), ce=round(float(ce), 4), s=round(time.time() - t0)))
            print(json.dumps(log[-1]), flush=True)
    model.eval()
    F_ = harness.features(model, imgs)
    res = dict(mode=a.mode, steps=a.steps, w=a.w, train_s=round(time.time() - t0), **harness.sparsity(F_))
    for k in ('last_cls', 'last_mean', 'gmu_cls', 'gmu_mean'): res[k] = probe(F_[k], df)
    pf = harness.EXP / 'pixel_unseen_probe.json'
    if not pf.exists():
        Z = PCA(256, random_state=0).fit_transform(np.asarray(imgs, np.float32).reshape(len(imgs), -1) / 255)
        pf.write_text(json.dumps(probe(Z, df)))
    res['pixel_pca256'] = json.loads(pf.read_text())
    print(json.dumps(res, indent=1))
    with open(harness.EXP / 'labels_results.jsonl', 'a') as fh: fh.write(json.dumps(res) + '\n')

if __name__ == '__main__': main()
