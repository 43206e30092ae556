"""Images/s through the data pipeline: decoding 1200-px JPEGs vs reading the memory-mapped cache.

Usage: python bench/bench_data.py [--n 48] [--sizes 224 64] [--threads 1] [--repeat 2]

Input: `n` JPEGs of 1200 x 800 px (quality 90), made from the sample photos that scikit-learn and
scikit-image ship (upscaled, cropped and flipped so that no two files are the same). For each
training size it times one pass over the images through
  - `BirdDataset` + `train_transform(size)`, torchvision decoder (PIL fallback),
  - `BirdDataset` + `train_transform(size)`, PIL decoder,
  - `CachedDataset` + `train_transform(size)` on a cache of side round(size * 8 / 7),
in one process with `threads` torch threads (what one DataLoader worker gets), after one warm-up
pass, best of `repeat` interleaved rounds. Ratios are taken within this one run.
"""
import argparse, os, sys, tempfile, time, warnings
from pathlib import Path
import numpy as np, pandas as pd, torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ebird_mae.data import BirdDataset, CachedDataset, build_cache, train_transform, to_schema


def make_jpegs(d: Path, n: int, w: int = 1200, h: int = 800) -> pd.DataFrame:
    "Write `n` distinct w x h JPEGs from the packaged sample photos; return a metadata table."
    from sklearn.datasets import load_sample_image
    import skimage.data as sd
    photos = [load_sample_image('china.jpg'), load_sample_image('flower.jpg'), sd.chelsea(), sd.coffee(), sd.astronaut(), sd.rocket()]
    rng = np.random.default_rng(0)
    d.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        im = Image.fromarray(photos[i % len(photos)]).convert('RGB')
        W, H = im.size
        cw, ch = int(W * rng.uniform(0.7, 1.0)), int(H * rng.uniform(0.7, 1.0))
        x0, y0 = int(rng.integers(0, W - cw + 1)), int(rng.integers(0, H - ch + 1))
        im = im.crop((x0, y0, x0 + cw, y0 + ch)).resize((w, h), Image.BICUBIC)
        if i % 2: im = im.transpose(Image.FLIP_LEFT_RIGHT)
        p = d / f'{i:04d}.jpg'
        im.save(p, quality=90)
        paths.append(str(p))
    return to_schema(pd.DataFrame({'path': paths}))


def rates(dss: dict, repeat: int) -> dict:
    """Images/s of one pass over each dataset, best of `repeat` rounds; rounds interleave the datasets so that
    a change in machine load hits all of them alike (the ratios are what this bench is for)."""
    for ds in dss.values():
        for i in range(min(4, len(ds))): ds[i]   # warm-up: page cache, lazy mmap, first-call overheads
    best = {k: 0.0 for k in dss}
    for _ in range(repeat):
        for k, ds in dss.items():
            t = time.perf_counter()
            for i in range(len(ds)): ds[i]
            best[k] = max(best[k], len(ds) / (time.perf_counter() - t))
    return best


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--n', type=int, default=48, help='number of 1200-px JPEGs')
    ap.add_argument('--sizes', type=int, nargs='+', default=[224, 64], help='training sizes')
    ap.add_argument('--threads', type=int, default=1, help='torch threads (1 = one DataLoader worker)')
    ap.add_argument('--repeat', type=int, default=3, help='interleaved rounds (best is kept)')
    a = ap.parse_args(argv)
    if a.n < 1: ap.error('--n must be >= 1')
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    warnings.simplefilter('ignore')
    with tempfile.TemporaryDirectory(prefix='bench_data_') as tmp:
        tmp = Path(tmp)
        t = time.perf_counter(); df = make_jpegs(tmp / 'jpg', a.n); t_make = time.perf_counter() - t
        mb = sum(os.path.getsize(p) for p in df.path) / 2**20
        print(f'{a.n} JPEGs 1200x800 q90 ({mb:.1f} MiB) made in {t_make:.1f}s; torch threads={a.threads}; '
              f'torch {torch.__version__}, {os.cpu_count()} CPUs')
        rows = []
        for size in a.sizes:
            tf = train_transform(size)
            cs = int(round(size * 8 / 7))
            t = time.perf_counter(); cp = build_cache(df, tmp / 'cache', cs, n_workers=a.threads); t_build = time.perf_counter() - t
            r = rates(dict(tv=BirdDataset(df, tf, decoder='auto'), pil=BirdDataset(df, tf, decoder='pil'),
                           cache=CachedDataset(df, cp, tf)), a.repeat)
            r_tv, r_pil, r_c = r['tv'], r['pil'], r['cache']
            mib = os.path.getsize(cp) / 2**20
            rows += [dict(size=size, source='JPEG 1200px, torchvision decode', images_per_s=r_tv, vs_jpeg=1.0, note=''),
                     dict(size=size, source='JPEG 1200px, PIL decode', images_per_s=r_pil, vs_jpeg=r_pil / r_tv, note=''),
                     dict(size=size, source=f'mmap cache {cs}px uint8', images_per_s=r_c, vs_jpeg=r_c / r_tv,
                          note=f'build {a.n / t_build:.0f} img/s, {mib:.1f} MiB')]
        res = pd.DataFrame(rows)
        with pd.option_context('display.float_format', '{:.2f}'.format, 'display.width', 160):
            print(res.to_string(index=False))
    return res


if __name__ == '__main__':
    main()
