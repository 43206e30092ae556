"""Our MAE training step against the reference implementations, same architecture, in one run.

    python bench/bench_refs.py --mae-repo PATH                     # tiny@64 b64 and base@224 b8, fp32, 3 rounds
    python bench/bench_refs.py --mae-repo PATH --configs tiny:64:64 --amp bf16
    python bench/bench_refs.py --mae-repo PATH --configs tiny:64:64 --amp off bf16   # every model in both; ratios to the fastest finite reference in either
    python bench/bench_refs.py --mae-repo PATH --device cuda --amp bf16 --configs tiny:64:256 base:224:64 --rounds 2

References (each built with our size's exact dimensions, norm-pix loss on, mask ratio 0.75):
  official   facebookresearch/mae `models_mae.MaskedAutoencoderViT` on timm 1.x (two shims: its `Block(qk_scale=...)`
             argument, gone from timm 1.x, is dropped, and `np.float`, gone from numpy, is `float`; timm 1.x attention
             is fused SDPA). `--mae-repo`: a checkout or
             a bare git folder of github.com/facebookresearch/mae (fetched for the benchmark only, never committed);
             without it the row is skipped.
  hf         transformers `ViTMAEForPreTraining` (attn_implementation='sdpa'); skipped if transformers is missing.
  ours-mae   `models.create_mae` (plain MAE);  ours-vsc  `vsc.MAEVSC` (views_weight=0);
  ours-views the trainer's default model (`views.MAEVSCViews`: MAE-VSC + a second encoder pass + InfoNCE) — more
             work per image than the others, listed for the record.
  ours-*-eager  the same with timm's attention on its eager path (`fused_attn=False`: softmax(q kᵀ) v as three ops)
             instead of fused SDPA — the attention path choice per device and precision (issue 15).
Step = forward (autocast if `--amp bf16`) + backward + `clip_grad_norm_(3.0)` + AdamW(β=(0.9, 0.95), wd 0.05), the
same optimizer for every model (torch's fused kernel, as our trainer now builds it), on one random batch held in
memory (on `--device`; on CUDA the loss is read once after the timed steps, between synchronisations). Each (model, config) runs in its own subprocess per round; rounds interleave the models; medians; the
ratio is to the fastest reference with a finite loss in the same config, over every precision of the run.
"""
import argparse, json, os, statistics, subprocess, sys, tempfile, time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MODELS = ('official', 'hf', 'ours-mae', 'ours-vsc', 'ours-views', 'ours-mae-eager', 'ours-vsc-eager', 'ours-views-eager')


def official_source(repo: str) -> Path:
    "A folder with `models_mae.py` and `util/pos_embed.py` from a checkout or a bare git folder of facebookresearch/mae."
    r = Path(repo)
    if (r/'models_mae.py').is_file(): return r
    d = Path(tempfile.mkdtemp(prefix='fb_mae_')); (d/'util').mkdir()
    for f in ('models_mae.py', 'util/pos_embed.py', 'util/__init__.py'):
        out = subprocess.run(['git', '--git-dir', str(r), 'show', f'HEAD:{f}'], capture_output=True, text=True)
        (d/f).write_text(out.stdout if out.returncode == 0 else '')
    return d


def build(name, size, img, mae_src, device='cpu'):
    import torch
    from torch import nn
    from ebird_mae.models import mae_config
    c = mae_config(size, img_size=img)
    if name == 'official':
        import timm.models.vision_transformer as tv
        real = tv.Block
        class Block(real):   # timm 1.x dropped qk_scale (the official code passes None)
            def __init__(self, *a, qk_scale=None, **kw): super().__init__(*a, **kw)
        import numpy as np
        if not hasattr(np, 'float'): np.float = float   # util/pos_embed.py uses np.float (removed in numpy 1.24)
        tv.Block = Block; sys.path.insert(0, str(mae_src))
        try: import models_mae
        finally: tv.Block = real
        m = models_mae.MaskedAutoencoderViT(img_size=img, patch_size=c.patch_size, embed_dim=c.embed_dim, depth=c.depth,
                num_heads=c.num_heads, decoder_embed_dim=c.decoder_embed_dim, decoder_depth=c.decoder_depth,
                decoder_num_heads=c.decoder_num_heads, mlp_ratio=c.mlp_ratio, norm_layer=partial(nn.LayerNorm, eps=1e-6),
                norm_pix_loss=True)
        return m, lambda x: m(x, mask_ratio=0.75)[0]
    if name == 'hf':
        from transformers import ViTMAEConfig, ViTMAEForPreTraining
        hc = ViTMAEConfig(image_size=img, patch_size=c.patch_size, hidden_size=c.embed_dim, num_hidden_layers=c.depth,
                          num_attention_heads=c.num_heads, intermediate_size=int(c.embed_dim * c.mlp_ratio),
                          decoder_hidden_size=c.decoder_embed_dim, decoder_num_hidden_layers=c.decoder_depth,
                          decoder_num_attention_heads=c.decoder_num_heads, decoder_intermediate_size=int(c.decoder_embed_dim * c.mlp_ratio),
                          mask_ratio=0.75, norm_pix_loss=True, qkv_bias=True, layer_norm_eps=1e-6, hidden_dropout_prob=0.,
                          attention_probs_dropout_prob=0.)
        m = ViTMAEForPreTraining._from_config(hc, attn_implementation='sdpa')
        return m, lambda x: m(pixel_values=x).loss
    from ebird_mae.train import TrainConfig, build_model
    from ebird_mae.models import set_fused_attention
    eager = name.endswith('-eager'); name = name.removesuffix('-eager')
    cfg = TrainConfig(size=size, img_size=img, stem='linear', progress=False,   # the references' linear patch embedding
                      vsc=name != 'ours-mae', views_weight=1.0 if name == 'ours-views' else 0.)
    m = build_model(cfg)
    if eager: set_fused_attention(m, False)
    knobs = {k: v for k, v in dict(c=50., prior_weight=1e-3).items() if k in m.train_knobs}
    g = torch.Generator(device=device).manual_seed(0)
    return m, lambda x: m(x, mask_ratio=0.75, generator=g, **knobs).loss


def worker(name, size, img, batch, amp, steps, warm, mae_src, device='cpu'):
    import torch
    torch.manual_seed(0)
    dev = torch.device(device)
    if dev.type == 'cuda': torch.backends.cuda.matmul.allow_tf32 = True; torch.backends.cudnn.allow_tf32 = True
    sync = torch.cuda.synchronize if dev.type == 'cuda' else (lambda: None)
    m, loss_fn = build(name, size, img, mae_src, dev)
    m.to(dev).train()
    ps = [p for p in m.parameters() if p.requires_grad]
    decay = [p for p in ps if p.ndim > 1]; no = [p for p in ps if p.ndim <= 1]
    opt = torch.optim.AdamW([dict(params=decay, weight_decay=0.05), dict(params=no, weight_decay=0.)], lr=1e-4, betas=(0.9, 0.95), fused=True)
    x = torch.randn(batch, 3, img, img, generator=torch.Generator().manual_seed(1)).to(dev)
    def step():
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=amp == 'bf16'): loss = loss_fn(x)
        loss.backward(); torch.nn.utils.clip_grad_norm_(ps, 3.0); opt.step(); opt.zero_grad(set_to_none=True)
        return loss.detach()
    for _ in range(warm): step()
    sync(); t = time.perf_counter()
    for _ in range(steps): loss = step()
    sync(); dt = time.perf_counter() - t
    print(json.dumps(dict(imgs_per_s=batch * steps / dt, loss=float(loss), device=str(dev),
                          params_m=sum(p.numel() for p in m.parameters()) / 1e6)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--configs', nargs='+', default=['tiny:64:64', 'base:224:8'], help='size:img_size:batch')
    ap.add_argument('--models', nargs='+', default=list(MODELS[:5]), choices=MODELS)
    ap.add_argument('--amp', nargs='+', default=['off'], choices=['off', 'bf16'], help='precisions to run every model in')
    ap.add_argument('--rounds', type=int, default=3); ap.add_argument('--steps', type=int, default=6); ap.add_argument('--warm', type=int, default=2)
    ap.add_argument('--mae-repo', default=os.environ.get('MAE_REPO'), help='facebookresearch/mae checkout or bare git folder')
    ap.add_argument('--device', default='cpu', help="'cpu' or 'cuda'")
    ap.add_argument('--worker', nargs=9, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        n, s, img, b, amp, st, w, src, dev = a.worker; return worker(n, s, int(img), int(b), amp, int(st), int(w), src, dev)
    import torch
    src = official_source(a.mae_repo) if a.mae_repo else None
    models = [m for m in a.models if not (m == 'official' and src is None)]
    if 'official' in a.models and src is None: print("official: skipped (no --mae-repo)", file=sys.stderr)
    from _step import run_banner
    gpu = torch.cuda.get_device_name() if a.device == 'cuda' else 'none'
    print(run_banner(amp=' + '.join(a.amp), gpu=gpu, **{'timed steps': a.steps, 'warm-up steps': a.warm, 'interleaved rounds (medians)': a.rounds}) + '\n')
    res = {}
    for r in range(a.rounds):
        for c in a.configs:
            s, img, b = c.split(':')
            for amp in a.amp:
                for m in models:
                    out = subprocess.run([sys.executable, __file__, '--worker', m, s, img, b, amp, str(a.steps), str(a.warm), str(src), a.device],
                                         capture_output=True, text=True)
                    if out.returncode: print(f"{m} {c} {amp} failed:\n{out.stderr[-2000:]}", file=sys.stderr); continue
                    o = json.loads(out.stdout.strip().splitlines()[-1]); res.setdefault((c, m, amp), []).append(o)
                    print(f"  round {r + 1} {c} {m} {amp}: {o['imgs_per_s']:.1f} img/s, loss {o['loss']:.4f}", file=sys.stderr, flush=True)
    print('| config | model | precision | params (M) | img/s (median) | rounds | loss finite | vs fastest finite reference |\n|---|---|---|---|---|---|---|---|')
    for c in a.configs:
        keys = [(m, amp) for amp in a.amp for m in models if (c, m, amp) in res]
        med = {k: statistics.median(o['imgs_per_s'] for o in res[(c, *k)]) for k in keys}
        fin = {k: all(o['loss'] == o['loss'] and abs(o['loss']) != float('inf') for o in res[(c, *k)]) for k in keys}
        refs = [med[k] for k in keys if k[0] in ('official', 'hf') and fin[k]]
        best = max(refs) if refs else float('nan')
        for k in keys:
            rs = res[(c, *k)]
            print(f"| {c} | {k[0]} | {'bf16' if k[1] == 'bf16' else 'fp32'} | {rs[0]['params_m']:.2f} | {med[k]:.1f} | "
                  f"{', '.join('%.0f' % o['imgs_per_s'] for o in rs)} | {'yes' if fin[k] else '**no**'} | {med[k] / best:.2f}x |")


if __name__ == '__main__': main()
