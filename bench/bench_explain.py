"""Explainers: images/s and peak memory per method on tiny and base, and Chefer et al.'s reference implementation at the same size.

    python bench/bench_explain.py                                  # tiny + base, every method
    python bench/bench_explain.py --sizes tiny --batch 32 --reps 3
    python bench/bench_explain.py --chefer-repo /path/to/Transformer-Explainability   # + the reference (needs einops)
    python bench/bench_explain.py --chefer-repo /path/to/Transformer-Explainability --precision-check --sizes base

The reference checkout is fetched for the benchmark only, never copied into the project; from a local mirror of
hila-chefer/Transformer-Explainability (commit c3e578f, 2023-02-02), e.g.:
    mkdir -p /tmp/chefer_ref && git --git-dir=<mirror>/repo archive HEAD baselines modules | tar -x -C /tmp/chefer_ref

Speed does not depend on the weights, so the models are freshly initialised (MAE-VSC, a 16-class linear head on the code).
The reference (hila-chefer/Transformer-Explainability, `baselines/ViT/ViT_LRP.py`) is imported from the given checkout,
never copied; it explains one image per call (its relprop reads `cam[0]`), so it is timed image by image, on a plain
MAE with the same weights and a linear head on the normed CLS token (its own architecture), against `explain('chefer_lrp')`
on the same model and targets; the maps' correlation and the MoRF perturbation AUCs of both are printed.
Peak memory: CUDA's max allocated bytes, or on a CPU the peak resident size (sampled every 2 ms) above the level before the
first call, each method in a fresh process.
"""
import argparse, os, sys, time, threading
from pathlib import Path
import numpy as np
import torch, torch.nn as nn
from ebird_mae.models import create_mae
from ebird_mae.vsc import create_mae_vsc
from ebird_mae.explain import explain, EXPLAINERS, Explainee, perturbation_aucs

def _rss():
    with open('/proc/self/statm') as f: return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')

class PeakMem:
    "Peak memory above the level at entry: CUDA allocator, or sampled resident size on a CPU."
    def __init__(self, device): self.device, self.peak = torch.device(device), 0
    def __enter__(self):
        if self.device.type == 'cuda':
            torch.cuda.synchronize(); torch.cuda.reset_peak_memory_stats(); self.base = torch.cuda.memory_allocated()
        else:
            self.base, self.top, self.stop = _rss(), _rss(), False
            def watch():
                while not self.stop: self.top = max(self.top, _rss()); time.sleep(0.002)
            self.t = threading.Thread(target=watch, daemon=True); self.t.start()
        return self
    def __exit__(self, *a):
        if self.device.type == 'cuda': torch.cuda.synchronize(); self.peak = torch.cuda.max_memory_allocated() - self.base
        else: self.stop = True; self.t.join(); self.peak = max(self.top, _rss()) - self.base

def _sync(device):
    if torch.device(device).type == 'cuda': torch.cuda.synchronize()

def bench_method(method, model, head, imgs, targets, reps, device, **kw):
    with PeakMem(device) as pm:
        explain(method, model, imgs, targets, head=head, **kw)  # warm-up (inside: on a CPU the first call sets the peak)
        _sync(device); t = time.perf_counter()
        for _ in range(reps): explain(method, model, imgs, targets, head=head, **kw)
        _sync(device); dt = time.perf_counter() - t
    return len(imgs) * reps / dt, pm.peak / 2**20

def reference_model(repo, model, head):
    "Chefer's ViT_LRP VisionTransformer with `model`'s encoder weights and `head` on its CLS token."
    sys.path.insert(0, str(repo))
    from baselines.ViT.ViT_LRP import VisionTransformer
    c = model.cfg
    ref = VisionTransformer(img_size=c.img_size, patch_size=c.patch_size, embed_dim=c.embed_dim, depth=c.depth,
                            num_heads=c.num_heads, num_classes=head.out_features, qkv_bias=True)
    sd = {k: v for k, v in model.state_dict().items() if k.split('.')[0] in ('patch_embed', 'blocks', 'norm', 'cls_token', 'pos_embed')}
    sd.update({'head.weight': head.weight.data, 'head.bias': head.bias.data})
    print('  reference load:', ref.load_state_dict(sd, strict=True))
    for m in ref.modules():
        if isinstance(m, nn.LayerNorm): m.eps = 1e-6   # ours; the reference defaults to 1e-5
    return ref.eval().to(next(model.parameters()).device)

def reference_maps(ref, imgs, targets):
    "The reference's transformer attribution, one image per call (its supported use)."
    out = []
    for x, c in zip(imgs, targets.tolist()):
        logits = ref(x[None])
        one_hot = torch.zeros_like(logits); one_hot[0, c] = 1
        ref.zero_grad(); (logits * one_hot).sum().backward(retain_graph=True)
        out.append(ref.relprop(one_hot, method='transformer_attribution', alpha=1).detach())
    return torch.cat(out)

def compare_reference(repo, size, batch, device, seed=0):
    try: import einops  # noqa: F401  (the reference needs it)
    except ImportError: print('  reference skipped: it needs einops (pip install einops)'); return
    torch.manual_seed(seed)
    model = create_mae(size).eval().to(device)
    head = nn.Linear(model.cfg.embed_dim, 16).to(device)
    ref = reference_model(repo, model, head)
    imgs = torch.randn(batch, 3, model.cfg.img_size, model.cfg.img_size, device=device)
    tg = torch.randint(0, 16, (batch,), device=device)
    d = (ref(imgs) - head(model.forward_features(imgs)[:, 0])).abs().max().item()  # (the reference hooks need grad mode)
    print(f'  same logits as our model: max |diff| {d:.2e}')
    reference_maps(ref, imgs[:1], tg[:1])  # warm-up
    _sync(device); t = time.perf_counter(); rm = reference_maps(ref, imgs, tg); _sync(device); t_ref = time.perf_counter() - t
    explain('chefer_lrp', model, imgs[:2], tg[:2], head=head)
    _sync(device); t = time.perf_counter(); om = explain('chefer_lrp', model, imgs, tg, head=head); _sync(device); t_our = time.perf_counter() - t
    g = model.cfg.grid_size
    corr = np.mean([np.corrcoef(a.flatten().cpu(), b.flatten().cpu())[0, 1] for a, b in zip(rm, om)])
    ex = Explainee(model, head)
    a_ref, a_our = perturbation_aucs(ex, imgs, tg, rm.reshape(-1, g, g)), perturbation_aucs(ex, imgs, tg, om)
    print(f'  {size}: reference {batch / t_ref:8.2f} img/s | ours {batch / t_our:8.2f} img/s | speed-up {t_ref / t_our:5.1f}x | '
          f'map correlation {corr:.4f} | MoRF AUC reference {a_ref["morf"]:.4f} ours {a_our["morf"]:.4f} | LeRF {a_ref["lerf"]:.4f} / {a_our["lerf"]:.4f}')

def precision_check(repo, size, batch, seed=0):
    "Is a disagreement with the reference numerical? Map correlations float32 vs float64 within each implementation and across."
    import copy
    torch.manual_seed(seed)
    model = create_mae(size).eval(); head = nn.Linear(model.cfg.embed_dim, 16)
    imgs = torch.randn(batch, 3, model.cfg.img_size, model.cfg.img_size); tg = torch.randint(0, 16, (batch,))
    m64, h64 = copy.deepcopy(model).double(), copy.deepcopy(head).double()
    r32, r64 = reference_maps(reference_model(repo, model, head), imgs, tg), reference_maps(reference_model(repo, m64, h64).double(), imgs.double(), tg)
    o32, o64 = explain('chefer_lrp', model, imgs, tg, head=head), explain('chefer_lrp', m64, imgs.double(), tg, head=h64)
    corr = lambda A, B: np.mean([np.corrcoef(a.flatten().double(), b.flatten().double())[0, 1] for a, b in zip(A, B)])
    print(f'  {size}, batch {batch}: map correlation reference~ours float32 {corr(r32, o32):.4f}, float64 {corr(r64, o64):.4f} | '
          f'float32~float64 reference {corr(r32, r64):.4f}, ours {corr(o32, o64):.4f}')
    g = model.cfg.grid_size   # the perturbation AUCs of each map, all scored on the float64 model (lower MoRF, higher LeRF is better)
    ex = Explainee(m64, h64)
    for name, mp in (('reference float32', r32), ('ours float32', o32), ('reference float64', r64), ('ours float64', o64)):
        au = perturbation_aucs(ex, imgs.double(), tg, mp.reshape(-1, g, g).double())
        print(f'    {name:18s} MoRF {au["morf"]:.4f} LeRF {au["lerf"]:.4f}')

def profile_method(method, size, batch, device, top=12):
    "Where one call's time goes: its operations by own CPU time, and the share of the matrix products."
    from torch.profiler import profile, ProfilerActivity
    torch.manual_seed(0)
    model = create_mae_vsc(size).eval().to(device)
    head = nn.Linear(model.latent_dim, 16).to(device)
    imgs = torch.randn(batch, 3, model.cfg.img_size, model.cfg.img_size, device=device)
    tg = torch.randint(0, 16, (batch,), device=device)
    explain(method, model, imgs, tg, head=head)  # warm-up
    with profile(activities=[ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.startswith('cuda') else [])) as prof:
        explain(method, model, imgs, tg, head=head)
    ev = prof.key_averages()
    tot = sum(e.self_cpu_time_total for e in ev)
    mm = sum(e.self_cpu_time_total for e in ev if e.key in ('aten::mm', 'aten::addmm', 'aten::bmm', 'aten::baddbmm'))
    print(f'{method} on {size}, batch {batch}: {tot / 1e6:.2f} s own CPU time, matrix products {mm / tot:.0%}')
    print(ev.table(sort_by='self_cpu_time_total', row_limit=top))

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--sizes', default='tiny,base')
    p.add_argument('--methods', default=','.join(sorted(EXPLAINERS)))
    p.add_argument('--batch', type=int, default=None, help='images per call (default: 32 tiny, 8 base on CUDA, 2 base on a CPU)')
    p.add_argument('--reps', type=int, default=2)
    p.add_argument('--ig-steps', type=int, default=16)
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--amp', default='off')
    p.add_argument('--chefer-repo', default=None, help='a checkout of hila-chefer/Transformer-Explainability (optional)')
    p.add_argument('--no-isolate', action='store_true', help='on a CPU, do not run each method in a fresh process (its peak memory is then a lower bound)')
    p.add_argument('--precision-check', action='store_true', help='with --chefer-repo: Chefer LRP maps in float32 and float64, ours and the reference (CPU), then stop')
    p.add_argument('--profile', default=None, help='profile this method (torch.profiler: top operations by own CPU time), then stop')
    a = p.parse_args()
    if a.precision_check:
        for size in a.sizes.split(','): precision_check(a.chefer_repo, size, a.batch or 2)
        return
    if a.profile: return profile_method(a.profile, a.sizes.split(',')[0], a.batch or 32, a.device)
    if not a.device.startswith('cuda') and not a.no_isolate and len(a.methods.split(',')) > 1:
        import subprocess  # a fresh process per method: the CPU allocator keeps freed memory, hiding later methods' peaks
        for size in a.sizes.split(','):
            for m in a.methods.split(','):
                cmd = [sys.executable, __file__, '--sizes', size, '--methods', m, '--reps', str(a.reps), '--ig-steps', str(a.ig_steps),
                       '--device', a.device, '--amp', a.amp, '--no-isolate'] + (['--batch', str(a.batch)] if a.batch else [])
                r = subprocess.run(cmd, capture_output=True, text=True)
                out = r.stdout.strip().splitlines()
                print(f'{size} ' + out[-1].strip() if r.returncode == 0 and out else f'{size} {m}: failed: {r.stderr.strip().splitlines()[-1:]}', flush=True)
        if a.chefer_repo:
            for size in a.sizes.split(','):
                bs = a.batch or (32 if size == 'tiny' else 2)
                compare_reference(a.chefer_repo, size, bs, a.device)
        return
    print(f'torch {torch.__version__}, device {a.device}, threads {torch.get_num_threads()}, amp {a.amp}')
    for size in a.sizes.split(','):
        torch.manual_seed(0)
        model = create_mae_vsc(size).eval().to(a.device)
        head = nn.Linear(model.latent_dim, 16).to(a.device)
        bs = a.batch or (32 if size == 'tiny' else 8 if a.device.startswith('cuda') else 2)
        imgs = torch.randn(bs, 3, model.cfg.img_size, model.cfg.img_size, device=a.device)
        tg = torch.randint(0, 16, (bs,), device=a.device)
        print(f'{size} ({model.cfg.img_size}px, {sum(p.numel() for p in model.parameters()) / 1e6:.1f}M params), batch {bs}:')
        for m in a.methods.split(','):
            kw = dict(n_steps=a.ig_steps) if m == 'integrated_gradients' else {}
            ips, mem = bench_method(m, model, head, imgs, tg, a.reps, a.device, amp=a.amp, **kw)
            print(f'  {m:22s} {ips:9.2f} img/s   peak {mem:8.1f} MiB per batch of {bs}')
        if a.chefer_repo:
            if Path(a.chefer_repo, 'baselines/ViT/ViT_LRP.py').exists(): compare_reference(a.chefer_repo, size, bs, a.device)
            else: print(f'  reference skipped: {a.chefer_repo} has no baselines/ViT/ViT_LRP.py')

if __name__ == '__main__': main()
