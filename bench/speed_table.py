"""The README's speed table in one run: training, extraction, explanation, projection, loader.

    python bench/speed_table.py                 # the README's settings (a few minutes on 2 CPU cores)
    python bench/speed_table.py --tiny          # smoke test: tiny sizes, seconds

Each row times ours against what it is compared with, inside this one run (interleaved where the bench scripts
interleave), so the ratios are meaningful on a noisy machine; absolute numbers are not. It calls the bench scripts'
own functions (bench_train, bench_embed, bench_explain, bench_data) rather than re-implementing their timing.
  training     tiny MAE-VSC @64 px pretraining steps (the trainer, data loading included), bf16 autocast vs fp32
  extraction   `embed_batch` (forward + VSC head + pooling), bf16 vs fp32
  explanation  every registered explainer vs the raw-attention map (the cheapest) at one batch; Chefer's reference
               implementation too when --chefer-repo points to a checkout of hila-chefer/Transformer-Explainability
  projection   UMAP and t-SNE vs PCA on the same clustered vectors
  loader       the memory-mapped cache vs decoding 1200-px JPEGs (torchvision), one thread
Prints a markdown table: area, what, images/s (or seconds), ratio to the row's reference.
"""
import argparse, contextlib, io, json, os, sys, tempfile, time, warnings
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
import numpy as np, torch

def _quiet(fn, *a, **kw):
    "Call a bench function with its own printing silenced; return its result and what it printed."
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf): r = fn(*a, **kw)
    return r, buf.getvalue()

def training(steps:int, warm:int, device:str):
    import bench_train
    rows = {}
    for amp in ('off', 'bf16'):
        _, out = _quiet(bench_train.train_worker, 'tiny', 64, 64, amp, steps, warm, device, True, 0)
        rows[amp] = json.loads(out.strip().splitlines()[-1])['imgs_per_s']
    return [('training', 'tiny @64, batch 64, fp32', rows['off'], 1.0),
            ('training', 'tiny @64, batch 64, bf16 autocast', rows['bf16'], rows['bf16'] / rows['off'])]

def extraction(n:int, rounds:int, device:str):
    import bench_embed
    r, _ = _quiet(bench_embed.bench_extract, device, n, rounds, ('tiny',))
    t = r['tiny']
    return [('extraction', 'tiny @64, fp32', t['fp32_img_s'], 1.0), ('extraction', 'tiny @64, bf16', t['bf16_img_s'], t['bf16_speedup'])]

def explanation(batch:int, reps:int, device:str, methods, chefer_repo=None):
    import bench_explain
    from ebird_mae.vsc import create_mae_vsc
    torch.manual_seed(0)
    model = create_mae_vsc('tiny').eval().to(device); head = torch.nn.Linear(model.latent_dim, 16).to(device)
    s = model.cfg.img_size
    imgs, tg = torch.randn(batch, 3, s, s, device=device), torch.randint(0, 16, (batch,), device=device)
    ips = {}
    for m in methods:
        try: ips[m] = bench_explain.bench_method(m, model, head, imgs, tg, reps, device, **({'n_steps': 16} if m == 'integrated_gradients' else {}))[0]
        except Exception as e: print(f'  explanation {m}: not measured ({type(e).__name__}: {str(e)[:80]})', file=sys.stderr)
    ref = ips.get('raw_attn') or next(iter(ips.values()))
    rows = [('explanation', f'{m}, tiny, batch {batch}', v, v / ref) for m, v in ips.items()]
    if chefer_repo:
        _, out = _quiet(bench_explain.compare_reference, chefer_repo, 'tiny', batch, device)
        print(out, file=sys.stderr)
    return rows

def projection(sizes, methods):
    import bench_embed
    res, _ = _quiet(bench_embed.bench_project, sizes, ('pca',) + tuple(m for m in methods if m != 'pca'), 192, sizes[-1])
    n = str(sizes[-1]); ref = res['pca']['seconds'][n]
    return [('projection', f'{m.upper()} of {n} × 192 (seconds)', r['seconds'][n], (r['seconds'][n] / ref if ref else float('nan'))) for m, r in res.items()]  # the bench rounds to 0.1 s

def loader(n:int, repeat:int):
    import bench_data
    from ebird_mae.data import BirdDataset, CachedDataset, build_cache, train_transform
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory(prefix='speed_table_') as tmp, warnings.catch_warnings():
        warnings.simplefilter('ignore')
        df = bench_data.make_jpegs(Path(tmp)/'jpg', n)
        cp = build_cache(df, Path(tmp)/'cache', 73, n_workers=1)
        r = bench_data.rates(dict(jpeg=BirdDataset(df, train_transform(64)), cache=CachedDataset(df, cp, train_transform(64))), repeat)
    torch.set_num_threads(os.cpu_count() or 1)
    return [('loader', '1200-px JPEG → 64 px, torchvision decode', r['jpeg'], 1.0),
            ('loader', 'mmap cache (73 px) → 64 px', r['cache'], r['cache'] / r['jpeg'])]

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--tiny', action='store_true', help='smoke test: the smallest settings (numbers are noise)')
    ap.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    ap.add_argument('--only', default='training,extraction,explanation,projection,loader', help='comma-separated areas')
    ap.add_argument('--chefer-repo', default=None, help="a checkout of hila-chefer/Transformer-Explainability (the reference LRP)")
    a = ap.parse_args(argv)
    from ebird_mae.explain import EXPLAINERS
    S = (dict(steps=2, warm=1, n=64, rounds=1, batch=4, reps=1, methods=('raw_attn', 'iccv'), sizes=(500, 1000), proj=('pca', 'umap'), jpegs=4, repeat=1)
         if a.tiny else dict(steps=6, warm=2, n=512, rounds=3, batch=32, reps=2, methods=tuple(sorted(EXPLAINERS)), sizes=(2000, 10000),
                             proj=('pca', 'umap', 'tsne'), jpegs=48, repeat=3))
    areas = a.only.split(',')
    print(f"torch {torch.__version__}, device {a.device}, {os.cpu_count()} CPUs, torch threads {torch.get_num_threads()}", flush=True)
    rows, t0 = [], time.time()
    if 'training' in areas: rows += training(S['steps'], S['warm'], a.device)
    if 'extraction' in areas: rows += extraction(S['n'], S['rounds'], a.device)
    if 'explanation' in areas: rows += explanation(S['batch'], S['reps'], a.device, S['methods'], a.chefer_repo)
    if 'projection' in areas: rows += projection(S['sizes'], S['proj'])
    if 'loader' in areas: rows += loader(S['jpegs'], S['repeat'])
    print('\n| area | what | images/s (projection: seconds) | vs the area\'s reference (1.00×) |\n|---|---|---|---|')
    for area, what, v, r in rows: print(f'| {area} | {what} | {v:.1f} | {r:.2f}× |')
    print(f'\n({time.time() - t0:.0f} s{", --tiny: smoke-test settings, the numbers are noise" if a.tiny else ""})')
    return rows

if __name__ == '__main__': main()
