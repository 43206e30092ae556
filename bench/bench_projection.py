"""Projection times and memory at scale (issue 9): PCA, UMAP (PCA->50 first) and openTSNE, through `explore.timed_project`.

    python bench/bench_projection.py scale [--sizes 10000 100000] [--methods pca umap tsne] [--k 768]
    python bench/bench_projection.py big [--n 900000] [--k 768] [--umap_n 0]

`scale`: every (method, N) runs in a fresh interpreter (its own peak RSS), on clustered vectors shaped like an
embedding (80 Gaussian 'species' clusters in K dims); imports and numba compilation (UMAP, NN-descent) happen in an untimed warm-up run first.
Times at two sizes are extrapolated to 900k with the measured power law t ~ N^b, against the original study's
3-D UMAP of 896,555 points (3 h 20 min = 200 min).

`big`: N x K random fp16 vectors written to a memory-mapped .npy (as `embed` stores them), read back memory-mapped,
PCA to 2 and to 50 dimensions on all N rows (randomized SVD on one float32 copy), then optionally UMAP of the first
`umap_n` PCA-50 rows; time of each step and the peak RSS of the process.
"""
import argparse, json, os, resource, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np

ORIGINAL_S = 3 * 3600 + 20 * 60  # the original's 3-D UMAP of 896,555 points
TARGET = 900_000


def peak_rss_gb() -> float: return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # Linux: kB


def clustered(n, k=768, n_clusters=80, seed=0):
    "Gaussian-mixture vectors shaped like real embeddings (80 'species' clusters), float32."
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_clusters, k)).astype(np.float32) * 2
    out = np.empty((n, k), np.float32)
    lab = rng.integers(0, n_clusters, n)
    for a in range(0, n, 50_000):
        b = min(n, a + 50_000)
        out[a:b] = centres[lab[a:b]] + rng.normal(size=(b - a, k)).astype(np.float32)
    return out


def one(method, n, k):
    "Time one projection in this interpreter (after an untimed warm-up for numba-compiled methods)."
    from ebird_mae.explore import timed_project
    # untimed warm-up: imports, and numba compilation of UMAP and of pynndescent's NN-descent, which umap-learn only
    # uses from 4,096 rows on (below that it takes exact distances): hence 5,000 rows
    t0 = time.perf_counter(); timed_project(clustered(5000 if method == 'umap' else 600, k, seed=1), method, 2); warm = time.perf_counter() - t0
    base = peak_rss_gb()
    Z = clustered(n, k)
    Y, dt, _ = timed_project(Z, method, 2)
    assert Y.shape == (n, 2) and np.isfinite(Y).all()
    return dict(method=method, n=n, k=k, seconds=round(dt, 2), warmup_s=round(warm, 1), rss_before_data_gb=round(base, 2), peak_rss_gb=round(peak_rss_gb(), 2),
                threads=os.environ.get('NUMBA_NUM_THREADS') or os.cpu_count())


def scale(sizes, methods, k):
    res = []
    for m in methods:
        ts = []
        for n in sizes:
            r = subprocess.run([sys.executable, __file__, 'one', '--method', m, '--n', str(n), '--k', str(k)], capture_output=True, text=True)
            if r.returncode: raise SystemExit(f"{m} N={n} failed:\n{r.stderr[-2000:]}")
            o = json.loads(r.stdout.strip().splitlines()[-1]); ts.append(o['seconds']); res.append(o)
            print(f"{m:5s} N={n:>7d} K={k}: {o['seconds']:8.1f} s  peak RSS {o['peak_rss_gb']:.2f} GB  (warm-up {o['warmup_s']} s)", flush=True)
        if len(sizes) > 1:
            b = float(np.log(ts[-1] / ts[0]) / np.log(sizes[-1] / sizes[0]))
            est = ts[-1] * (TARGET / sizes[-1]) ** b
            res.append(dict(method=m, exponent=round(b, 2), est_900k_s=round(est), vs_original=round(ORIGINAL_S / est, 1)))
            print(f"{m:5s} t ~ N^{b:.2f}; extrapolated to {TARGET:,}: {est / 60:.1f} min "
                  f"(original 3-D UMAP of 896,555: {ORIGINAL_S / 60:.0f} min; {ORIGINAL_S / est:.1f}x faster)", flush=True)
    return res


def big(n, k, umap_n=0):
    from sklearn.decomposition import PCA
    d = Path(tempfile.mkdtemp(prefix='bench_proj_', dir=os.environ.get('BENCH_TMP')))
    out = dict(n=n, k=k)
    try:
        t0 = time.perf_counter()
        a = np.lib.format.open_memmap(d/'v.npy', mode='w+', dtype=np.float16, shape=(n, k))
        rng = np.random.default_rng(0)
        for i in range(0, n, 50_000): a[i:i+50_000] = rng.standard_normal(size=(min(50_000, n - i), k), dtype=np.float32).astype(np.float16)
        a.flush(); del a
        out.update(write_s=round(time.perf_counter() - t0, 1), file_gb=round(os.path.getsize(d/'v.npy') / 1e9, 2), rss_after_write_gb=round(peak_rss_gb(), 2))
        t0 = time.perf_counter()
        v = np.load(d/'v.npy', mmap_mode='r')
        X = np.empty((n, k), np.float32)
        for i in range(0, n, 50_000): X[i:i+50_000] = v[i:i+50_000]  # the one float32 copy PCA needs (2.8 GB for 900k x 768)
        out.update(read_s=round(time.perf_counter() - t0, 1))
        for c in (2, 50):
            t0 = time.perf_counter()
            Y = PCA(c, svd_solver='randomized', random_state=0).fit_transform(X).astype(np.float32)
            out[f'pca{c}_s'] = round(time.perf_counter() - t0, 1); out[f'rss_after_pca{c}_gb'] = round(peak_rss_gb(), 2)
        del X
        if umap_n:
            import umap
            umap.UMAP(random_state=0).fit_transform(Y[:600])  # compile (untimed)
            t0 = time.perf_counter()
            U = umap.UMAP(n_components=2, random_state=0, n_neighbors=15, min_dist=0.1).fit_transform(Y[:umap_n])
            out.update(umap_n=umap_n, umap_s=round(time.perf_counter() - t0, 1))
        out['peak_rss_gb'] = round(peak_rss_gb(), 2)
    finally:
        for p in d.glob('*'): p.unlink()
        d.rmdir()
    return out


if __name__ == '__main__':
    p = argparse.ArgumentParser()
    p.add_argument('what', choices=['scale', 'big', 'one'])
    p.add_argument('--sizes', type=int, nargs='+', default=[10_000, 100_000])
    p.add_argument('--methods', nargs='+', default=['pca', 'umap', 'tsne'])
    p.add_argument('--k', type=int, default=768); p.add_argument('--n', type=int, default=TARGET)
    p.add_argument('--method', default='pca'); p.add_argument('--umap_n', type=int, default=0)
    a = p.parse_args()
    if a.what == 'one': print(json.dumps(one(a.method, a.n, a.k))); sys.exit()
    print(f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}", flush=True)
    r = scale(a.sizes, a.methods, a.k) if a.what == 'scale' else big(a.n, a.k, a.umap_n)
    print(json.dumps(r))
