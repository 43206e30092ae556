"""Benchmarks of the embedding stage: extraction speed (fp32 vs bf16 autocast, tiny and base) and projection times.

    python bench/bench_embed.py extract [--device cpu|cuda] [--n 256] [--rounds 3]
    python bench/bench_embed.py project [--sizes 10000 100000] [--methods pca umap tsne]
    python bench/bench_embed.py big [--n 900000] [--k 768]    # memory-mapped 900k x 768 fp16: write, read, PCA-50, peak RSS

Ratios are measured in one run with the variants interleaved round by round (never timed asserts in tests).
Projection times at two sizes are extrapolated to 900k with the measured power law t ~ N^b.
"""
import argparse, json, os, resource, sys, tempfile, time
from pathlib import Path
import numpy as np, torch

from ebird_mae.core import resolve_device, resolve_amp
from ebird_mae.vsc import create_mae_vsc
from ebird_mae.embed import embed_batch


def peak_rss_gb() -> float: return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def bench_extract(device='auto', n=256, rounds=3, sizes=('tiny', 'base'), batch=64):
    "images/s of `embed_batch` (model forward + VSC head + pooling) in fp32 and bf16, interleaved rounds."
    dev = resolve_device(device)
    out = {}
    for size in sizes:
        torch.manual_seed(0)
        m = create_mae_vsc(size).eval().to(dev)
        s = m.cfg.img_size
        x = torch.randn(batch, 3, s, s, device=dev)
        nb = max(1, n // batch)
        for amp in ('off', 'bf16'): embed_batch(m, x, amp=amp)  # warm-up
        t = {'off': [], 'bf16': []}
        for _ in range(rounds):
            for amp in ('off', 'bf16'):
                if dev.type == 'cuda': torch.cuda.synchronize()
                t0 = time.perf_counter()
                for _ in range(nb): embed_batch(m, x, amp=amp)
                if dev.type == 'cuda': torch.cuda.synchronize()
                t[amp].append(nb * batch / (time.perf_counter() - t0))
        fp32, bf16 = np.median(t['off']), np.median(t['bf16'])
        out[size] = dict(img_size=s, fp32_img_s=round(fp32, 1), bf16_img_s=round(bf16, 1), bf16_speedup=round(bf16 / fp32, 2))
        print(f"{size:5s} {s}px on {dev}: fp32 {fp32:8.1f} img/s   bf16 {bf16:8.1f} img/s   bf16/fp32 {bf16 / fp32:.2f}x"
              f"   (auto would use: {resolve_amp('auto', dev)})", flush=True)
    return out


def clustered(n, k=192, n_clusters=80, seed=0):
    "Gaussian mixture vectors shaped like real embeddings (80 'species' clusters)."
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_clusters, k)).astype(np.float32) * 2
    return (centres[rng.integers(0, n_clusters, n)] + rng.normal(size=(n, k)).astype(np.float32))


def bench_project(sizes=(10_000, 100_000), methods=('pca', 'umap', 'tsne'), k=192, target=900_000):
    from ebird_mae.explore import timed_project
    res = {}
    for m in methods:
        ts = []
        for n in sizes:
            Z = clustered(n, k)
            _, dt, _ = timed_project(Z, m, 2)
            ts.append(dt); print(f"{m:5s} N={n:>7d} K={k}: {dt:8.1f} s   (peak RSS so far {peak_rss_gb():.1f} GB)", flush=True)
        b = np.log(ts[-1] / ts[0]) / np.log(sizes[-1] / sizes[0]) if len(sizes) > 1 else 1.0
        est = ts[-1] * (target / sizes[-1]) ** b
        res[m] = dict(seconds=dict(zip(map(str, sizes), [round(t, 1) for t in ts])), exponent=round(b, 2), est_900k_s=round(est))
        print(f"{m:5s} t ~ N^{b:.2f}; extrapolated to {target}: {est / 60:.1f} min  (original 3-D UMAP of 896,555: 200.7 min)", flush=True)
    return res


def bench_big(n=900_000, k=768, pca_rows=None):
    "Write n x k random fp16 vectors memory-mapped, read them back, fit PCA-50 (randomized) on them; time and peak RSS."
    from sklearn.decomposition import PCA
    d = Path(tempfile.mkdtemp(prefix='bench_embed_'))
    t0 = time.perf_counter()
    a = np.lib.format.open_memmap(d/'v.npy', mode='w+', dtype=np.float16, shape=(n, k))
    rng = np.random.default_rng(0)
    for i in range(0, n, 50_000): a[i:i+50_000] = rng.normal(size=(min(50_000, n - i), k)).astype(np.float16)
    a.flush(); del a
    t_write = time.perf_counter() - t0
    t0 = time.perf_counter(); v = np.load(d/'v.npy', mmap_mode='r'); s = float(np.asarray(v[::1000], np.float32).sum()); t_open = time.perf_counter() - t0
    t0 = time.perf_counter()
    X = np.asarray(v if pca_rows is None else v[:pca_rows], np.float32)  # the only full copy: float32 for PCA
    Y = PCA(50, svd_solver='randomized', random_state=0).fit_transform(X)
    t_pca = time.perf_counter() - t0
    out = dict(n=n, k=k, file_gb=round(os.path.getsize(d/'v.npy') / 1e9, 2), write_s=round(t_write, 1), open_sample_s=round(t_open, 2),
               pca50_s=round(t_pca, 1), peak_rss_gb=round(peak_rss_gb(), 2))
    print(json.dumps(out), flush=True)
    os.remove(d/'v.npy'); os.rmdir(d)
    return out


if __name__ == '__main__':
    p = argparse.ArgumentParser()
    p.add_argument('what', choices=['extract', 'project', 'big'])
    p.add_argument('--device', default='auto'); p.add_argument('--n', type=int, default=None); p.add_argument('--k', type=int, default=768)
    p.add_argument('--rounds', type=int, default=3); p.add_argument('--sizes', type=int, nargs='+', default=[10_000, 100_000])
    p.add_argument('--methods', nargs='+', default=['pca', 'umap', 'tsne']); p.add_argument('--models', nargs='+', default=['tiny', 'base'])
    a = p.parse_args()
    print(f"torch {torch.__version__}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}", flush=True)
    if a.what == 'extract': r = bench_extract(a.device, a.n or 256, a.rounds, a.models)
    elif a.what == 'project': r = bench_project(a.sizes, a.methods)
    else: r = bench_big(a.n or 900_000, a.k)
    print(json.dumps(r))
