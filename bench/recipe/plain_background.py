"""A diagnostic copy of the default synthetic birds with the scene removed: every bird pasted, through its ground-truth
part mask, on one plain grey background (`--remove scene`, the default). Not a recipe (real photos have no masks): it
asks whether the default recipe learns the bird when the scene can no longer tell photos apart (issue 11; `03b`: the
model's nearest neighbours share the query's background 94–99 % of the time). `--remove colour` writes every image
in grey levels instead (luma in all three channels, scene kept): how much of the unseen-species probe colour costs
at read-out (`02_train`, "Colour at read-out"). Same metadata, splits, masks and `dataset.json` as the
default set, so `EBIRD_MAE_DATA=<out> ebird_mae_pretrain …` and `EBIRD_MAE_DATA=<out> python bench/recipe/evaluate.py …`
read it as the default dataset.
Usage: python bench/recipe/plain_background.py OUT [--grey 128] [--remove scene|colour]"""
import argparse, shutil
from pathlib import Path
import numpy as np
from PIL import Image
from ebird_mae.synth import default_dataset

def main():
    ap = argparse.ArgumentParser(); ap.add_argument('out'); ap.add_argument('--grey', type=int, default=128)
    ap.add_argument('--remove', choices=('scene', 'colour'), default='scene')
    a = ap.parse_args()
    table = default_dataset(); src = Path(table.attrs['root']); out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    for f in ('metadata.csv', 'catalogue.csv', 'family_traits.json'): shutil.copy(src / f, out / f)
    shutil.copytree(src / 'masks', out / 'masks', dirs_exist_ok=True)
    n_bg = []
    for p, m in zip(table.path, table.mask_path):
        rel = Path(p).relative_to(src); (out / rel).parent.mkdir(parents=True, exist_ok=True)
        im, bird = Image.open(p).convert('RGB'), np.array(Image.open(m))[..., None] > 0
        if a.remove == 'colour': im.convert('L').convert('RGB').save(out / rel)   # ITU-R 601 luma in all three channels
        else: Image.fromarray(np.where(bird, np.asarray(im), np.uint8(a.grey))).save(out / rel)
        n_bg.append(1 - bird.mean())
    shutil.copy(src / 'dataset.json', out / 'dataset.json')   # last: marks the copy finished
    print(f"{len(table)} images ({a.remove} removed) to {out}; background {np.mean(n_bg):.0%} of the pixels on average")

if __name__ == '__main__': main()
