"""Benchmarks of the embedding stage: extraction speed (fp32 vs bf16 autocast, and bf16 with eager attention; tiny and base) and projection times.

    python bench/bench_embed.py extract [--device cpu|cuda] [--n 256] [--rounds 3] [--models tiny base]
    python bench/bench_embed.py project [--sizes 10000 100000] [--methods pca umap tsne]   # quick, in one process

The projection benchmark with a fresh interpreter per run (peak memory), and the 900k x 768 memory-mapped one, are
in `bench/bench_projection.py`.

Ratios are measured in one run with the variants interleaved round by round (never timed asserts in tests).
Projection times at two sizes are extrapolated to 900k with the measured power law t ~ N^b.
"""
import argparse, json, os, resource, sys, time
import numpy as np, torch

from ebird_mae.core import resolve_device, resolve_amp
from ebird_mae.vsc import create_mae_vsc
from ebird_mae.embed import embed_batch
from ebird_mae.models import set_fused_attention


def peak_rss_gb() -> float: return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def bench_extract(device='auto', n=256, rounds=3, sizes=('tiny', 'base'), batch=64):
    "images/s of `embed_batch` (model forward + VSC head + pooling) in fp32, bf16 and bf16 with eager attention, interleaved rounds."
    dev = resolve_device(device)
    out = {}
    for size in sizes:
        torch.manual_seed(0)
        m = create_mae_vsc(size).eval().to(dev)
        s = m.cfg.img_size
        x = torch.randn(batch, 3, s, s, device=dev)
        nb = max(1, n // batch)
        variants = {'off': ('off', True), 'bf16': ('bf16', True), 'bf16-eager': ('bf16', False)}   # (precision, fused attention)
        def run(v):
            amp, fused = variants[v]; set_fused_attention(m, fused); embed_batch(m, x, amp=amp)
        for v in variants: run(v)  # warm-up
        t = {v: [] for v in variants}
        for _ in range(rounds):
            for v in variants:
                if dev.type == 'cuda': torch.cuda.synchronize()
                t0 = time.perf_counter()
                for _ in range(nb): run(v)
                if dev.type == 'cuda': torch.cuda.synchronize()
                t[v].append(nb * batch / (time.perf_counter() - t0))
        fp32, bf16, eager = (np.median(t[v]) for v in variants)
        out[size] = dict(img_size=s, fp32_img_s=round(fp32, 1), bf16_img_s=round(bf16, 1), bf16_eager_img_s=round(eager, 1),
                         bf16_speedup=round(bf16 / fp32, 2), bf16_eager_speedup=round(eager / fp32, 2))
        print(f"{size:5s} {s}px on {dev}: fp32 {fp32:8.1f} img/s   bf16 {bf16:8.1f} img/s ({bf16 / fp32:.2f}x)   "
              f"bf16 eager attention {eager:8.1f} img/s ({eager / fp32:.2f}x)   (auto would use: {resolve_amp('auto', dev)})", flush=True)
    return out


def bench_project(sizes=(10_000, 100_000), methods=('pca', 'umap', 'tsne'), k=192, target=900_000):
    "Projection times in this process (numba compilation included in the first UMAP); used by `speed_table.py`."
    from ebird_mae.explore import timed_project
    from bench_projection import clustered
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


if __name__ == '__main__':
    p = argparse.ArgumentParser()
    p.add_argument('what', choices=['extract', 'project'])
    p.add_argument('--device', default='auto'); p.add_argument('--n', type=int, default=None)
    p.add_argument('--rounds', type=int, default=3); p.add_argument('--sizes', type=int, nargs='+', default=[10_000, 100_000])
    p.add_argument('--methods', nargs='+', default=['pca', 'umap', 'tsne']); p.add_argument('--models', nargs='+', default=['tiny', 'base'])
    a = p.parse_args()
    print(f"torch {torch.__version__}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}", flush=True)
    if a.what == 'extract': r = bench_extract(a.device, a.n or 256, a.rounds, a.models)
    else: r = bench_project(a.sizes, a.methods)
    print(json.dumps(r))
