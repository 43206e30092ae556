"""Issue 11's acceptance numbers for one model, through the project's own stages (embed → probe):
family probe on seen and unseen species (logistic regression and cosine kNN, whole test part, species-bootstrap
95 % intervals) for the model's codes, pixel-PCA and a randomly initialised encoder of the same architecture, and the
sparse code's use (active dimensions per image, γ bimodality, family × latent activation spread).
Usage: python bench/recipe/evaluate.py [WEIGHTS] [--out CSV] [--species_per_family N] [--sparsity_only]
(default: the main job's model, `train.main_job_model`, on the default synthetic birds; `--species_per_family N` renders
the same 10,000 images of the 16 families with N species each instead of 5, into ~/.cache/ebird_mae/, to measure how
much of the unseen-species probe is set by the number of species a family is learnt from; `--sparsity_only` embeds
and reports the sparse code's use without the probes, about a minute; `--unseen_seeds N` adds N − 1 further
species-held-out splits (seeds 1 … N−1, each holding out other species) and reports every feature's unseen accuracy
averaged over the N splits, in CSV.seeds.csv: one split holds out 16 of the 80 species, so its accuracy moves with
the choice of species (sd 0.02–0.03 over 5 splits on the main job's codes); the mean over 5 splits is the number to
compare recipes by). A model trained at another image size is probed on the default set rendered at that size (as
the trainer reads it, `train.load_table`), with pixel-PCA and HOG-PCA at 64 px and at its own size"""
import sys, json, argparse, time
from pathlib import Path
import numpy as np, pandas as pd, torch
from ebird_mae.synth import default_dataset, make_synthetic_dataset, read_synthetic, DEFAULT_N_IMAGES, DEFAULT_IMG_SIZE, DATASET_VERSION
from ebird_mae.embed import embed, pixel_features, random_encoder
from ebird_mae.probe import probe_table
from ebird_mae.models import load_model
from ebird_mae.vsc import GATE_ON
from ebird_mae.explore import activation_summary, family_gate_share

def sparsity(emb, table) -> dict:
    "Use of the sparse code: γ of the pooled code (CLS token and mean over patch tokens), through 03b's summaries."
    out = {}
    for pool in ('cls', 'mean'):
        k = f'gamma_{pool}'
        if k not in emb.names: continue
        g = np.asarray(emb[k], dtype=np.float32)
        s, fs = activation_summary(g), family_gate_share(g, table.family.values)
        rate = pd.DataFrame(g > GATE_ON).groupby(table.family.values).mean()     # family × latent activation rate
        out[pool] = dict(median_active=s['median_active_per_image'], mid_frac=s['undecided_frac'], mean_gamma=s['mean_gamma'],
                         dims_ever_active=s['dims_ever_active'], family_rate_std=float(rate.std(axis=0).mean()),
                         n_gated_dims=fs['n_gating'], family_eta2_median=fs['eta2_median'], n_family_dims=fs['n_family_tied'])
    return out

def gate_split(emb) -> dict:
    """The pooled code split by its gates: `mu_masked_*` (μ where γ > ½, closed dimensions exactly 0: what the
    decoder's sample keeps) and `gamma_mu_closed_*` (γ⊙μ of the closed dimensions only). A standardised probe rescales
    every column to unit variance, so γ⊙μ of a gate at γ = 0.001 reads as well as an open one: the pair says how much of
    the γ⊙μ probe is carried by the gates that are on."""
    out = {}
    for pool in ('cls', 'mean'):
        if f'gamma_{pool}' not in emb.names or f'mu_{pool}' not in emb.names: continue
        on = np.asarray(emb[f"gamma_{pool}"], np.float32) > GATE_ON
        out[f'mu_masked_{pool}'] = np.asarray(emb[f'mu_{pool}'], np.float32) * on
        out[f'gamma_mu_closed_{pool}'] = np.asarray(emb[f'gamma_mu_{pool}'], np.float32) * ~on
    return out

COLS = ['feature', 'split', 'method', 'top1']

def unseen_rows(feats, table, seeds) -> pd.DataFrame:
    "Top-1 of every feature and probe on the species-held-out split of each seed, one row each."
    return pd.concat([probe_table(feats, table, split_kinds=('unseen',), n_boot=1, seed=s)[COLS].assign(seed=s) for s in seeds])

def unseen_over_seeds(feats, table, tab, n) -> pd.DataFrame:
    "Unseen-species top-1 of every feature and probe on splits of seeds 0 … n−1 (seed 0's from `tab`), with their mean."
    rows = pd.concat([tab[tab.split == 'unseen'][['feature', 'method', 'top1']].assign(seed=0),
                      unseen_rows(feats, table, range(1, n)).drop(columns='split')])
    piv = rows.pivot_table(index=['feature', 'method'], columns='seed', values='top1')
    piv['mean'], piv['sd'] = piv.mean(1), piv.std(1)
    print(f"unseen species, top-1 over {n} species-held-out splits:"); print(piv.round(3).to_string())
    return rows

def load_weights(path=None):
    "`(model in eval mode, provenance)`: the weights at `path`, or the main job's model (`train.main_job_model`) when None."
    if path: model, _ = load_model(path); prov = path
    else:
        from ebird_mae.train import main_job_model
        model, _, prov = main_job_model()
    model.eval(); torch.manual_seed(0)
    return model, prov

def probe_splits(feats, table, n_unseen:int) -> pd.DataFrame:
    "Top-1 of every feature and probe on the seen split (seed 0) and on `n_unseen` species-held-out splits (seeds 0 …), one row each."
    seen = probe_table(feats, table, split_kinds=('seen',), n_boot=1, seed=0)[COLS].assign(seed=0)
    return pd.concat([seen, unseen_rows(feats, table, range(n_unseen))])

def main():
    ap = argparse.ArgumentParser(); ap.add_argument('weights', nargs='?'); ap.add_argument('--out', default=None)
    ap.add_argument('--species_per_family', type=int, default=None)
    ap.add_argument('--sparsity_only', action='store_true', help='embed and report the sparse code only (no probes)')
    ap.add_argument('--unseen_seeds', type=int, default=1, help='species-held-out splits to average the unseen probe over')
    a = ap.parse_args()
    model, prov = load_weights(a.weights)
    if a.species_per_family:
        root = Path(f'~/.cache/ebird_mae/{DATASET_VERSION}-{DEFAULT_IMG_SIZE}px-spf{a.species_per_family}').expanduser()
        make_synthetic_dataset(root, n_images=DEFAULT_N_IMAGES, species_per_family=a.species_per_family, seed=0)
        table = read_synthetic(root).reset_index(drop=True)
    else: table = default_dataset(img_size=max(DEFAULT_IMG_SIZE, model.cfg.img_size)).reset_index(drop=True)   # the trainer's set (`train.load_table`)
    print(f"{table.species.nunique()} species in {table.family.nunique()} families, {len(table)} images")
    t0 = time.time(); emb = embed(model, table, progress=False); te = time.time() - t0
    if a.sparsity_only:
        print(json.dumps(sparsity(emb, table), indent=1)); return
    rnd = embed(random_encoder(model), table, progress=False)
    pix = pixel_features(table, size=DEFAULT_IMG_SIZE, n_components=256)   # 64 px for every model, so baselines compare
    feats = {n: np.asarray(emb[n], np.float32) for n in emb.names if not n.startswith('gamma_') or n.startswith('gamma_mu')}
    feats.update(gate_split(emb))
    for k in dict.fromkeys((rnd.default, 'mean')): feats['random_encoder_' + k] = np.asarray(rnd[k], np.float32)   # its code and its tokens' mean
    feats['pixel_pca256'] = np.asarray(pix['pixel_pca'], np.float32)
    feats['hog_pca256'] = np.asarray(pix['hog_pca'], np.float32)   # HOG in 8-px cells (576 values), PCA 256
    S = model.cfg.img_size
    if S != DEFAULT_IMG_SIZE:   # and at the model's own size, the baseline a renderer change is stated with
        pn = pixel_features(table, size=S, n_components=256)
        feats[f'pixel_pca256_{S}px'], feats[f'hog_pca256_{S}px'] = (np.asarray(pn[k], np.float32) for k in ('pixel_pca', 'hog_pca'))
    t0 = time.time(); tab = probe_table(feats, table, n_boot=200); tp = time.time() - t0
    cols = ['feature', 'split', 'method', 'param', 'top1', 'top1_lo', 'top1_hi', 'top5', 'macro_f1', 'bal_acc']
    print(f"model: {prov}; embed {te:.0f} s, probe table {tp:.0f} s")
    print(tab[[c for c in cols if c in tab.columns]].to_string(index=False, float_format=lambda v: f'{v:.3f}'))
    sp = sparsity(emb, table); print(json.dumps(sp, indent=1))
    if a.unseen_seeds > 1:
        seeds = unseen_over_seeds(feats, table, tab, a.unseen_seeds)
        if a.out: seeds.to_csv(Path(a.out).with_suffix('.seeds.csv'), index=False)
    if a.out:
        tab.to_csv(a.out, index=False); Path(a.out).with_suffix('.sparsity.json').write_text(json.dumps(sp, indent=1))

if __name__ == '__main__': main()
