"""Probe speed. `python bench/bench_probe.py table`: the full probe table (seen + unseen, logistic + kNN, 1,000-resample
species bootstrap) on the 10k synthetic birds' table with several feature sets of 64-768 dims (synthetic vectors with a
family + species + image structure, so the probes do real work). `python bench/bench_probe.py memmap`: the torch linear
head on a 200k x 768 float16 memory-mapped array (time, peak RSS). Run with 2 threads to match the 2-core target."""
import os, sys, time, resource, tempfile
import numpy as np, torch

def _rss_gb(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20

def fake_features(fam, spe, dims, seed=0):
    "Vectors = family centre + species offset + image noise (the structure real embeddings have)."
    rng = np.random.default_rng(seed); out = {}
    for d in dims:
        F_, S_ = rng.normal(size=(fam.max() + 1, d)), rng.normal(size=(spe.max() + 1, d))
        out[f'{len(out)}: {d}-d'] = (0.25 * F_[fam] + 0.25 * S_[spe] + rng.normal(size=(len(fam), d))).astype(np.float32)
    return out

def bench_table(dims=(768, 768, 384, 384, 192, 64)):
    from ebird_mae import synth, probe
    birds = synth.default_dataset()
    fam, spe = (birds[c].astype('category').cat.codes.to_numpy() for c in ('family', 'species'))
    feats = fake_features(fam, spe, dims)
    t0 = time.perf_counter()
    tab = probe.probe_table(feats, birds)
    dt = time.perf_counter() - t0
    print(tab[['feature', 'split', 'method', 'param', 'top1', 'top1_lo', 'top1_hi', 'seconds']].round(3).to_string())
    print(f"probe_table: {len(birds)} images x {len(dims)} feature sets ({'/'.join(map(str, dims))}-d) x 2 splits x 2 methods "
          f"+ bootstrap: {dt:.1f} s on {torch.get_num_threads()} threads; peak RSS {_rss_gb():.2f} GB")

def _train_from(path, n_classes, epochs):
    "Runs in a fresh process, so its peak RSS is the training's alone (the file was written by another process)."
    from ebird_mae import probe
    X = np.load(path, mmap_mode='r'); y = np.load(path.replace('x.npy', 'y.npy')); n = len(X)
    idx = np.random.default_rng(1).permutation(n); tr, va, te = idx[:int(.8 * n)], idx[int(.8 * n):int(.9 * n)], idx[int(.9 * n):]
    r0 = _rss_gb(); t0 = time.perf_counter(); c0 = time.process_time()
    head, hist = probe.train_head(X, y, tr, va, n_classes=n_classes, batch_size=1024, max_epochs=epochs, device='cpu')
    dt, dc = time.perf_counter() - t0, time.process_time() - c0
    t1 = time.perf_counter(); m = probe.evaluate_head(head, X, y, te); de = time.perf_counter() - t1
    print(f"torch BatchNorm+Linear head on a {n} x {X.shape[1]} float16 memmap ({X.nbytes / 2**30:.2f} GB), {n_classes} classes, batch 1024: "
          f"{len(hist)} epochs in {dt:.1f} s wall / {dc:.1f} s CPU ({dt / len(hist):.1f} s/epoch incl. whole-val evaluation), "
          f"whole-test evaluation {de:.1f} s, test top-1 {m['top1']:.3f}; peak RSS {_rss_gb():.2f} GB "
          f"(after imports {r0:.2f} GB); {torch.get_num_threads()} threads")

def bench_memmap(n=200_000, d=768, K=250, epochs=2):
    import subprocess
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        X = np.lib.format.open_memmap(f'{tmp}/x.npy', mode='w+', dtype=np.float16, shape=(n, d))
        y = rng.integers(0, K, n); C = rng.normal(size=(K, d)).astype(np.float32)
        for i in range(0, n, 20_000): X[i:i + 20_000] = (0.05 * C[y[i:i + 20_000]] + rng.normal(size=(min(20_000, n - i), d))).astype(np.float16)
        X.flush(); del X; np.save(f'{tmp}/y.npy', y)
        subprocess.run([sys.executable, __file__, '_train', f'{tmp}/x.npy', str(K), str(epochs)], check=True)

if __name__ == '__main__':
    torch.set_num_threads(int(os.environ.get('THREADS', 2)))
    what = sys.argv[1:] or ['table', 'memmap']
    if 'table' in what: bench_table()
    if 'memmap' in what: bench_memmap()
    if what[0] == '_train': _train_from(what[1], int(what[2]), int(what[3]))
