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

Options of the upper bound: `--img_size 96` (the same birds drawn at 96 px; the ViT keeps 8-px patches, so 144
tokens), `--arch resnet18` (torchvision's ResNet-18, random init, 512-d pooled features: does a convolutional network
carry family shape to new species where the ViT does not?), `--gray` (train and probe on grey images: what is left
when plumage colour cannot be used), `--stem hmlp` (Touvron et al. 2022's hierarchical-MLP patch stem: convolutions
inside each patch only, so MAE masking stays exact; does a deeper patch embedding see shape better?), `--stem conv`
(Xiao et al. 2021's overlapping convolutional stem, "early convolutions help transformers see better"), `--stem resnet`
(a hybrid: ResNet-18's first two stages, GroupNorm, then the ViT on their 8x8 map; under MAE the hidden patches are
zeroed before the stem so that masking stays exact), `--stem resnet_half` (the same at half width: a quarter of the flops).

The features of all 10,000 images are saved (float16, `$RECIPE_OUT/features_<run>.npz`) before the probes run.

Evaluation: standardised logistic regression (C on a grid, by 3-fold species-grouped CV) on the features of
split_unseen train+val images, accuracy on the split_unseen test species (whole split), with a species bootstrap 95 %
interval; pixel-PCA-256 on the same split.

    RECIPE_OUT=/work/exp python bench/recipe/labels.py --mode species --steps 600
    RECIPE_OUT=/work/exp python bench/recipe/labels.py --mode family --steps 500 --arch resnet18
    RECIPE_OUT=/tmp/rec python bench/recipe/labels.py --mode none --device cuda --bs 256 --minutes 3   # a GPU budget

`--minutes M` trains for a fixed time instead of a fixed number of steps: the cosine schedule follows the elapsed share
of the budget and the number of steps reached is recorded (for runs on a lent GPU of unknown speed, several at once).
`--device cuda` trains under bf16 autocast (the VSC KL stays in fp32, as in the trainer); the learning rate is
`--blr` x batch / 256 unless `--lr` is given.
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

def hmlp_stem(patch, dim):
    "Touvron et al. 2022's hierarchical MLP stem: 2x2 stride-2 convolutions, each patch processed alone (no overlap, so\n    MAE masking stays exact), normalised and GELU between; (B, 3, H, W) -> (B, dim, H/patch, W/patch)."
    n, c, layers = int(math.log2(patch)), 3, []
    for i in range(n):
        o = dim if i == n - 1 else dim // 4
        layers.append(nn.Conv2d(c, o, 2, 2))
        if i < n - 1: layers += [nn.BatchNorm2d(o), nn.GELU()]
        c = o
    return nn.Sequential(*layers)

def conv_stem(patch, dim):
    "Xiao et al. 2021's convolutional stem: 3x3 stride-2 convolutions (BatchNorm, ReLU) then a 1x1 to `dim`; the\n    receptive fields overlap neighbouring patches (under MAE masking a visible token sees a few pixels of hidden ones)."
    n, c, layers = int(math.log2(patch)), 3, []
    for i in range(n):
        o = dim // 2 ** (n - i)
        layers += [nn.Conv2d(c, o, 3, 2, 1, bias=False), nn.BatchNorm2d(o), nn.ReLU()]; c = o
    return nn.Sequential(*layers, nn.Conv2d(c, dim, 1))

STUDY_STEMS = dict(hmlp=hmlp_stem, conv=conv_stem)   # the package's own: 'linear', 'resnet', 'resnet_half' (`MAEConfig.stem`)
STEMS = ('linear', 'resnet', 'resnet_half', *STUDY_STEMS)

def build_vit(stem, img_size=64, patch=8):
    "The views recipe's ViT-tiny with the patch embedding `stem`: the package's (`MAEConfig.stem`) or a study-only one."
    if stem not in STUDY_STEMS: return create_mae_vsc_views('tiny', img_size=img_size, patch_size=patch, stem=stem)
    model = create_mae_vsc_views('tiny', img_size=img_size, patch_size=patch)
    model.patch_embed.proj = STUDY_STEMS[stem](patch, model.cfg.embed_dim)
    model.stem_overlaps = stem == 'conv'   # overlapping receptive fields: the model zeroes hidden pixels first
    return model

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--mode', choices=['family', 'species', 'none'], required=True)
    ap.add_argument('--steps', type=int, default=600); ap.add_argument('--bs', type=int, default=64)
    ap.add_argument('--lr', type=float, default=None); ap.add_argument('--blr', type=float, default=1.5e-3)
    ap.add_argument('--w', type=float, default=1.0)
    ap.add_argument('--device', default='cpu'); ap.add_argument('--minutes', type=float, default=None, help='train for this long (the schedule follows elapsed time)')
    ap.add_argument('--img_size', type=int, default=64); ap.add_argument('--patch', type=int, default=8)
    ap.add_argument('--arch', choices=['vit', 'resnet18'], default='vit', help='resnet18 (torchvision, random init): --mode family only')
    ap.add_argument('--gray', action='store_true', help='train and probe on grey images (luminance in all 3 channels)')
    ap.add_argument('--stem', choices=STEMS, default='linear', help="the ViT's patch embedding: one linear map (timm's), a hierarchical MLP stem, a convolutional stem, or ResNet-18's first two stages (GroupNorm)")
    a = ap.parse_args()
    a.lr = a.lr or a.blr * a.bs / 256
    dev = torch.device(a.device)
    from ebird_mae.core import autocast
    amp = 'bf16' if dev.type == 'cuda' else 'off'
    torch.manual_seed(0); torch.set_num_threads(int(os.environ.get("LABELS_THREADS", "2")))
    df, imgs = harness.data(a.img_size)
    if a.gray: imgs = np.repeat(np.asarray(imgs).astype(np.float32) @ np.array([[0.299], [0.587], [0.114]], np.float32), 3, -1).round().astype(np.uint8)
    if a.arch != 'vit' and a.mode != 'family': ap.error('--arch resnet18 needs --mode family')
    rows = np.flatnonzero((df.split_unseen == 'train').values)
    sp_codes, _ = pd.factorize(df.species); fam_codes, fams = pd.factorize(df.family)
    model = build_vit(a.stem, a.img_size, a.patch).train()
    if a.arch == 'resnet18':
        import torchvision
        model = torchvision.models.resnet18(num_classes=512).train(); model.fc = nn.Identity()
        model.forward_features = lambda x: model(x)[:, None]   # (B, 1, 512): the pooled features as a 'CLS' token
    vc = ViewsConfig()
    n_out = len(fams) if a.mode == 'family' else int(sp_codes.max()) + 1
    width = (512 if a.arch == 'resnet18' else model.cfg.embed_dim) if a.mode == 'family' else model.latent_dim
    model, head = model.to(dev), nn.Linear(width, n_out).to(dev)
    params = list(model.parameters()) + list(head.parameters())
    opt = torch.optim.AdamW(params, lr=a.lr, betas=(0.9, 0.95), weight_decay=0.05)
    g = torch.Generator(device=dev).manual_seed(0); rng = np.random.default_rng(0)
    t0, log, step = time.time(), [], 0
    while (time.time() - t0 < 60 * a.minutes) if a.minutes else (step < a.steps):
        frac = (time.time() - t0) / (60 * a.minutes) if a.minutes else step / a.steps
        lr = a.lr * min(1, (step + 1) / 50) * 0.5 * (1 + math.cos(math.pi * min(frac, 1.)))
        for pg in opt.param_groups: pg['lr'] = lr
        b = np.sort(rng.choice(rows, a.bs, replace=False)); x = harness.to_input(imgs[b]).to(dev, non_blocking=True)
        with autocast(dev, amp):
            if a.mode == 'family':
                t = model.forward_features(random_views(x, vc, g))
                loss = ce = F.cross_entropy(head(t[:, 0]).float(), torch.from_numpy(fam_codes[b]).to(dev))
            else:
                prior = min(1.0, step / 125) * 1e-3
                out = model(x, generator=g, prior_weight=prior)
                loss, ce = out.loss, torch.zeros((), device=dev)
                if a.mode == 'species':
                    ce = F.cross_entropy(head(model.pooled_code(out.mu, out.log_gamma)).float(), torch.from_numpy(sp_codes[b]).to(dev))
                    loss = loss + a.w * ce
        opt.zero_grad(set_to_none=True); loss.backward(); torch.nn.utils.clip_grad_norm_(params, 3.0); opt.step()
        step += 1
        if step % 50 == 1 or step == a.steps:
            log.append(dict(step=step, loss=round(float(loss.detach()), 4), ce=round(float(ce.detach()), 4), s=round(time.time() - t0)))
            print(json.dumps(log[-1]), flush=True)
    loss_end = round(float(loss.detach()), 4)
    model.eval()
    if a.arch == 'resnet18':
        with torch.no_grad(): f = np.concatenate([model(harness.to_input(imgs[s:s + 500]).to(dev)).float().cpu().numpy() for s in range(0, len(imgs), 500)])
        F_ = dict(last_cls=f)
    else: F_ = harness.features(model, imgs, device=dev)
    tag = f"{a.mode}_{a.arch}_{a.stem}{'_gray' if a.gray else ''}_{a.img_size}px_{a.device}_{step}steps"
    np.savez_compressed(harness.EXP / f'features_{tag}.npz', **{k: v.astype(np.float16) for k, v in F_.items()})  # a probe cut short loses no training
    res = dict(mode=a.mode, arch=a.arch, gray=a.gray, stem=a.stem, steps=step, bs=a.bs, lr=a.lr, minutes=a.minutes,
               device=torch.cuda.get_device_name() if dev.type == 'cuda' else 'cpu', w=a.w, img_size=a.img_size, patch=a.patch, train_s=round(time.time() - t0), loss_end=loss_end, **harness.sparsity(F_))
    for k in ('last_cls', 'last_mean', 'gmu_cls', 'gmu_mean'):
        if k in F_: res[k] = probe(F_[k], df)
    pf = harness.EXP / f"pixel_unseen_probe{'' if a.img_size == 64 else a.img_size}{'_gray' if a.gray else ''}.json"
    if not pf.exists():
        Z = PCA(256, random_state=0).fit_transform(np.asarray(imgs, np.float32).reshape(len(imgs), -1) / 255)
        pf.write_text(json.dumps(probe(Z, df)))
    res['pixel_pca256'] = json.loads(pf.read_text())
    print(json.dumps(res, indent=1))
    with open(harness.EXP / 'labels_results.jsonl', 'a') as fh: fh.write(json.dumps(res) + '\n')

if __name__ == '__main__': main()
