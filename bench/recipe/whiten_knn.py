"""Does a label-free post-processing of the vectors change who wins kNN? The main job's embeddings (cached by
`embed.main_job_embeddings`) and the pixel / HOG baselines (PCA 256 of 64-px images), as they are, with their top
principal components removed ("all-but-the-top", Mu & Viswanath 2018) and PCA-whitened; `explore.quality_table`
(10-NN cosine family accuracy on the seen- and unseen-species splits, silhouette).

    python bench/recipe/whiten_knn.py
"""
import sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import numpy as np
from ebird_mae.embed import main_job_embeddings, pixel_features
from ebird_mae.explore import quality_table


def post(Z, drop:int=0, whiten:bool=False, eps:float=1e-3):
    "Centre, rotate onto the principal axes, drop the first `drop`, optionally scale each axis to unit variance."
    Z = np.asarray(Z, np.float64); Z = Z - Z.mean(0)
    _, S, Vt = np.linalg.svd(Z, full_matrices=False)
    P = Z @ Vt.T
    if whiten: P = P / ((S + eps * S[0]) / np.sqrt(len(Z)))
    return P[:, drop:]


emb, _, prov = main_job_embeddings(progress=False)
pix = pixel_features(emb.meta, size=64, n_components=256)
feats = {}
for name, Z in (('gamma_mu_cls', emb['gamma_mu_cls']), ('encoder cls', emb['cls']), ('encoder mean', emb['mean']),
                ('pixel_pca', pix['pixel_pca']), ('hog_pca', pix['hog_pca'])):
    feats[name] = Z; feats[f'{name}, top 10 PCs removed'] = post(Z, 10); feats[f'{name}, whitened'] = post(Z, 0, True)
print(prov)
print(quality_table(feats, emb.meta.reset_index(drop=True), n_silhouette=1000).round(3).to_string())
