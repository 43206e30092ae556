"""Does the encoder keep the birds' outlines in its *patch* tokens, where pooling would lose them?
Reads a model's encoder tokens four ways — CLS, the mean of the patch tokens, the patch tokens averaged to a 4×4 grid
and the whole 8×8 grid of patch tokens (the last two concatenated, PCA 256 fitted on the training split) — and the
images' HOG in 8-px cells (`models.hog_image`, PCA 256), and probes each with `harness.probe` (logistic regression
on seen species, mean of 5 species-held-out folds on unseen species, 20-NN on seen species).
Usage: python bench/recipe/spatial.py WEIGHTS"""
import sys
from pathlib import Path
import numpy as np, torch, torch.nn.functional as F
from sklearn.decomposition import PCA
sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness
from ebird_mae.core import IMAGENET_MEAN, IMAGENET_STD
from ebird_mae.models import load_model, hog_image

def readouts(model, x):
    "The four read-outs of one batch of normalised images, `{name: (B, d)}`."
    t = model.forward_features(x)
    p = t[:, 1:]; B, L, D = p.shape; g = int(round(L ** .5))
    grid = p.transpose(1, 2).reshape(B, D, g, g)
    return {'cls': t[:, 0], 'mean': p.mean(1), 'grid4': F.avg_pool2d(grid, g // 4).flatten(1), 'grid8': grid.flatten(1)}

def main(weights):
    torch.set_num_threads(2)
    model = load_model(weights)[0].eval()
    df, arr = harness.data()
    mean, std = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    out = {}
    with torch.no_grad():
        for i in range(0, len(df), 500):
            x = (torch.from_numpy(np.array(arr[i:i + 500])).permute(0, 3, 1, 2).float() / 255 - mean) / std
            feats = {**readouts(model, x), 'hog_8px': hog_image(x, 8)}
            for k, v in feats.items(): out.setdefault(k, []).append(v.float())
    fit = (df.split == 'train').values
    for k, v in out.items():
        X = torch.cat(v).numpy()
        if X.shape[1] > 256: X = PCA(256, random_state=0).fit(X[fit]).transform(X)
        print(k, {a: round(float(b), 3) for a, b in harness.probe(X, df).items()}, flush=True)

if __name__ == '__main__': main(sys.argv[1])
