"""Images/s of the synthetic bird renderer (ebird_mae.synth), on one core, and of a parallel dataset build.

Usage: python bench/bench_synth.py [--n 1000] [--sizes 64 224] [--repeat 2] [--workers 0]

For each size it times, in this one process (one core), after a warm-up:
  - render:        `render_item` (trait + nuisance sampling and drawing, anti-aliased), no I/O,
  - render + PNG:  the same plus writing the image and its part mask as PNG files (what
                   `make_synthetic_dataset` does per image), to a temporary folder;
best of `repeat`. With `--workers W` (W > 1) it also times a whole `make_synthetic_dataset` of `n`
images with W processes. The target (issue 4) is >= 500 images/s for render alone at 64 px.
"""
import argparse, os, sys, tempfile, time
from pathlib import Path
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ebird_mae.synth import make_catalogue, make_synthetic_dataset, render_item


def rate(fn, n, repeat):
    "Best images/s of `repeat` timed passes of fn(i) for i in range(n)."
    best = 0.0
    for _ in range(repeat):
        t = time.perf_counter()
        for i in range(n): fn(i)
        best = max(best, n / (time.perf_counter() - t))
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--n', type=int, default=1000, help='images per timed pass')
    ap.add_argument('--sizes', type=int, nargs='+', default=[64, 224])
    ap.add_argument('--repeat', type=int, default=2)
    ap.add_argument('--workers', type=int, default=0, help='also time a parallel make_synthetic_dataset with this many processes')
    a = ap.parse_args()
    recs = make_catalogue().to_dict('records')
    print(f'synthetic renderer, {len(recs)} species, n={a.n}, best of {a.repeat}, one process (cpu count {os.cpu_count()})')
    print(f"{'size':>5} {'render img/s':>13} {'render+PNG img/s':>17}")
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        for size in a.sizes:
            n = a.n if size <= 128 else max(50, a.n // 4)
            for i in range(20): render_item(i, recs, 0, size)  # warm-up

            def render(i): render_item(i, recs, 0, size)

            def render_write(i):
                rgb, mask, row = render_item(i, recs, 0, size)
                Image.fromarray(rgb).save(d / f'{i}.png', compress_level=3)
                Image.fromarray(mask).save(d / f'{i}_m.png', compress_level=3)

            print(f'{size:>5} {rate(render, n, a.repeat):>13.0f} {rate(render_write, n, a.repeat):>17.0f}', flush=True)
        if a.workers > 1:
            for size in a.sizes:
                t = time.perf_counter()
                make_synthetic_dataset(d / f'ds{size}', n_images=a.n, img_size=size, workers=a.workers, force=True)
                print(f'make_synthetic_dataset({a.n} images, {size} px, workers={a.workers}): {a.n / (time.perf_counter() - t):.0f} img/s')


if __name__ == '__main__':
    main()
