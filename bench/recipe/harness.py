"""Representation screening harness (issue 11): embed the 10k default synthetic birds with a model and probe family.

Seen species: train on split=='train' images, test on the rest. Unseen species: 5 folds, fold i holds out the i-th species
(sorted) of every family; the mean accuracy is reported. Also 20-NN (cosine, seen) and a species-held-out ridge R² from the
features to the shape traits and to the colour traits. Results are appended to $RECIPE_OUT/results.jsonl.
Usage: python bench/recipe/harness.py WEIGHTS --name NAME"""
import os, sys, json, time, math, argparse
from pathlib import Path
import numpy as np, pandas as pd, torch
from PIL import Image
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.neighbors import KNeighborsClassifier
from sklearn.decomposition import PCA
from ebird_mae.core import autocast
from ebird_mae.vsc import GATE_ON
EXP = Path(os.environ.get('RECIPE_OUT', Path(__file__).resolve().parent / '_out')); EXP.mkdir(parents=True, exist_ok=True)

def data(img_size=64):
    "The default synthetic set (its metadata) and its images as one uint8 array, cached in $RECIPE_OUT."
    from ebird_mae.synth import default_dataset
    df = default_dataset(img_size=img_size).reset_index(drop=True)
    f = EXP/f'imgs{img_size}.npy'
    if not f.exists():
        arr = np.stack([np.array(Image.open(p).convert('RGB')) for p in df.path]); np.save(f, arr)
    return df, np.load(f, mmap_mode='r')

def folds(df, k=5):
    "Unseen-species folds: fold i holds out the i-th species (sorted) of every family."
    sp = df.groupby('family').species.apply(lambda s: sorted(s.unique()))
    rank = {s: i for f, l in sp.items() for i, s in enumerate(l)}
    r = df.species.map(rank).values
    return [r == i for i in range(k)]

def _lr(Xtr, ytr, Xte, yte, C=0.5):
    sc = StandardScaler().fit(Xtr)
    m = LogisticRegression(C=C, max_iter=500, tol=1e-3).fit(sc.transform(Xtr), ytr)
    return (m.predict(sc.transform(Xte)) == yte).mean()

def probe(X, df, C=0.5):
    y = df.family.astype('category').cat.codes.values
    tr = (df.split == 'train').values
    seen = _lr(X[tr], y[tr], X[~tr], y[~tr], C)
    unseen = np.mean([_lr(X[~f], y[~f], X[f], y[f], C) for f in folds(df)])
    Xn = X / (np.linalg.norm(X, axis=1, keepdims=True) + 1e-8)
    knn = (KNeighborsClassifier(20).fit(Xn[tr], y[tr]).predict(Xn[~tr]) == y[~tr]).mean()
    return dict(seen=round(seen, 3), unseen=round(unseen, 3), knn20=round(knn, 3), **{'r2_' + k: v for k, v in trait_r2(X, df).items()})

COLOUR = ['plumage_hue','plumage_sat','plumage_value','accent_hue','belly_light','cap','wing_bar','breast_spots','beak_color']
SHAPE = ['body_size','body_aspect','upright','head_size','neck_length','beak_length','beak_depth','beak_curvature','beak_hook','leg_length','tail_length','tail_fork','wing_length','crest']
def trait_r2(X, df):
    "Species-held-out ridge R2 from features to each trait; mean over shape traits and over colour traits."
    from sklearn.linear_model import Ridge
    sc = StandardScaler().fit(X); Xs = sc.transform(X)
    out = {}
    for grp, cols in (('shape', SHAPE), ('colour', COLOUR)):
        Y = df[['trait_' + c for c in cols]].values; Y = (Y - Y.mean(0)) / (Y.std(0) + 1e-9)
        r2 = []
        for f in folds(df):
            m = Ridge(alpha=10.).fit(Xs[~f], Y[~f]); P = m.predict(Xs[f])
            r2.append(1 - ((P - Y[f])**2).mean(0) / Y[f].var(0))
        out[grp] = round(float(np.mean(r2)), 3)
    return out

def to_input(u8, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)):
    x = torch.from_numpy(np.ascontiguousarray(u8)).permute(0, 3, 1, 2).float() / 255
    return (x - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)

@torch.no_grad()
def features(model, imgs, layers=(2, 4), bs=500, device='cpu'):
    model.eval()
    feats = {}
    hooks = [model.blocks[i - 1].register_forward_hook(lambda m, a, o, i=i: feats.__setitem__(i, o)) for i in layers]
    is_vsc = hasattr(model, 'vsc_head')
    acc = {}
    for s in range(0, len(imgs), bs):
        x = to_input(imgs[s:s + bs]).to(device)
        with autocast(device, 'auto'):   # bf16 where the device computes it natively
            t = model.forward_features(x)
        t = t.float()
        parts = {'last_cls': t[:, 0], 'last_mean': t[:, 1:].mean(1)}
        for i in layers:
            f = feats[i].float(); parts[f'L{i}_cls'] = f[:, 0]; parts[f'L{i}_mean'] = f[:, 1:].mean(1)
        if is_vsc:
            mu, lv, lg = model.vsc_head(t)
            g = lg.exp(); gm = g * mu
            parts.update(gmu_cls=gm[:, 0], gmu_mean=gm[:, 1:].mean(1), mu_cls=mu[:, 0], gamma_cls=g[:, 0], gamma_mean=g[:, 1:].mean(1))
        for k, v in parts.items(): acc.setdefault(k, []).append(v.float().cpu().numpy())
    for h in hooks: h.remove()
    return {k: np.concatenate(v) for k, v in acc.items()}

def sparsity(F):
    if 'gamma_cls' not in F: return {}
    g = F['gamma_cls']; gm = F['gamma_mean']
    return dict(n_active_cls_median=float(np.median((g > GATE_ON).sum(1))), n_active_mean_median=float(np.median((gm > GATE_ON).sum(1))),
                mid_frac_cls=float(((g > .1) & (g < .9)).mean()), mean_gamma_cls=float(g.mean()))

def pixel_baseline(df, imgs):
    f = EXP/'pixel_probe.json'
    if f.exists(): return json.loads(f.read_text())
    X = np.asarray(imgs, dtype=np.float32).reshape(len(imgs), -1) / 255
    Z = PCA(256, random_state=0).fit_transform(X)
    r = probe(Z, df); f.write_text(json.dumps(r)); return r

def evaluate(model, name, sets=None, note=''):
    df, imgs = data()
    t0 = time.time()
    F = features(model, imgs)
    te = time.time() - t0
    res = {'name': name, 'note': note, 'embed_s': round(te, 1), **sparsity(F)}
    for k in (sets or F):
        if k.startswith('gamma'): continue
        res[k] = probe(F[k], df)
    res['pixel'] = pixel_baseline(df, imgs)
    with open(EXP/'results.jsonl', 'a') as fh: fh.write(json.dumps(res) + '\n')
    return res

if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('weights'); ap.add_argument('--name', required=True); ap.add_argument('--note', default='')
    a = ap.parse_args()
    from ebird_mae.models import load_model
    torch.set_num_threads(2)
    m, _ = load_model(a.weights)
    print(json.dumps(evaluate(m, a.name, note=a.note), indent=1))
