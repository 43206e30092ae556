"""Which block of the encoder carries the family best (issue 11: "intermediate layers of MAE encoders often probe better
than the last"). Embeds the default synthetic birds with one model at every block (`embed(..., layer=i)`: CLS token and
mean of the patch tokens, before the final norm, and with it: `norm=True`), plus the concatenation of every block's CLS
token (DINO's linear-evaluation read-out), and probes each with the project's own `probe_table`: logistic regression
and cosine kNN, seen species (one split) and unseen species (mean of N species-held-out splits).
Usage: python bench/recipe/layers.py [WEIGHTS] [--out CSV] [--unseen_seeds 5] [--norm]
(default WEIGHTS: the main job's model, `train.main_job_model`). About 1 minute of embedding per block on 2 CPU cores,
and a few minutes of probes."""
import argparse, time
import numpy as np
from ebird_mae.synth import default_dataset
from ebird_mae.embed import embed
from evaluate import load_weights, probe_splits

def layer_features(model, table, norm:bool) -> dict:
    "name -> (n, d) float32: every block's CLS and patch-mean token, the final normed tokens, and all blocks' CLS concatenated."
    feats, cls = {}, []
    for i in range(len(model.blocks)):
        e = embed(model, table, layer=i, norm=norm, progress=False)
        feats[f'block{i}_cls'], feats[f'block{i}_mean'] = (np.asarray(e[k], np.float32) for k in ('cls', 'mean'))
        cls.append(feats[f'block{i}_cls'])
    e = embed(model, table, progress=False)
    feats['final_cls'], feats['final_mean'] = (np.asarray(e[k], np.float32) for k in ('cls', 'mean'))
    if 'gamma_mu_cls' in e.names: feats['gamma_mu_cls'] = np.asarray(e['gamma_mu_cls'], np.float32)
    feats['blocks_cat_cls'] = np.concatenate(cls, 1)
    return feats

def main():
    ap = argparse.ArgumentParser(); ap.add_argument('weights', nargs='?'); ap.add_argument('--out', default=None)
    ap.add_argument('--unseen_seeds', type=int, default=5, help='species-held-out splits to average the unseen probe over')
    ap.add_argument('--norm', action='store_true', help="apply the encoder's final LayerNorm to the intermediate blocks' tokens")
    a = ap.parse_args()
    model, prov = load_weights(a.weights)
    table = default_dataset().reset_index(drop=True)
    t0 = time.time(); feats = layer_features(model, table, a.norm); te = time.time() - t0
    rows = probe_splits(feats, table, a.unseen_seeds)
    piv = rows.pivot_table(index=['feature', 'method'], columns='split', values='top1', aggfunc='mean')
    print(f"model: {prov}; {len(model.blocks)} blocks, norm={a.norm}; embed {te:.0f} s; unseen = mean of {a.unseen_seeds} splits")
    print(piv.round(3).to_string())
    if a.out: rows.to_csv(a.out, index=False)

if __name__ == '__main__': main()
