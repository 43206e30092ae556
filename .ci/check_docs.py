#!/usr/bin/env python
"""Check the docs' input, since Quarto cannot be installed on our machines (it replaces `nbdev_docs` in CI).

    python .ci/check_docs.py [--no-proc]

1. nbs/sidebar.yml and the `render` list of nbs/_quarto.yml name every notebook (not starting with _ or .) once, in
   the same order, index first; each sidebar title equals the notebook's title (its first markdown cell, `# Title`),
   and every notebook opens with `# Title` and a `> summary`.
2. `nbdev_proc_nbs` (from this Python's environment) succeeds.
3. Every processed notebook converts to HTML with nbconvert.
4. No internal link is broken: every relative link to a .ipynb / .html / .md target in the notebooks' markdown and
   in README.md names an existing file (X.html is the page built from X.ipynb, or X.md).
Prints the problems and exits 1, or prints one summary line and exits 0.
"""
import json, re, subprocess, sys, time, argparse
from pathlib import Path
import yaml

ROOT = Path(__file__).resolve().parent.parent
NBS = ROOT/'nbs'
LINK = re.compile(r'\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)|href=["\']([^"\']+)["\']')

def notebooks():
    return sorted(p for p in NBS.rglob('*.ipynb') if not any(q.startswith(('_', '.')) for q in p.relative_to(NBS).parts))

def title_of(nb:Path):
    cells = json.loads(nb.read_text())['cells']
    md = next((c for c in cells if c['cell_type'] == 'markdown'), None)
    if md is None: return None, None
    lines = ''.join(md['source']).strip().splitlines()
    return (lines[0] if lines else ''), next((l for l in lines[1:] if l.strip()), '')

def sidebar_entries(items, out):
    for it in items:
        if isinstance(it, str): out.append((None, it))
        elif 'contents' in it: sidebar_entries(it['contents'], out)
        elif 'href' in it: out.append((it.get('text'), it['href']))
    return out

def check_lists(problems):
    nbs = [p.relative_to(NBS).as_posix() for p in notebooks()]
    want = ['index.ipynb'] + [n for n in nbs if n != 'index.ipynb']
    sb = yaml.safe_load((NBS/'sidebar.yml').read_text())['website']['sidebar']['contents']
    entries = sidebar_entries(sb, [])
    hrefs = [h for _, h in entries]
    q = yaml.safe_load((NBS/'_quarto.yml').read_text())
    render = q.get('project', {}).get('render', [])
    if 'sidebar.yml' not in q.get('metadata-files', []): problems.append('_quarto.yml: metadata-files does not include sidebar.yml')
    for name, lst in (('sidebar.yml', hrefs), ('_quarto.yml render', render)):
        if lst != want:
            miss, extra = sorted(set(want) - set(lst)), sorted(set(lst) - set(want))
            problems.append(f'{name}: must list every notebook in order {want}; missing {miss}, not notebooks {extra}'
                            + ('' if miss or extra else ', order differs'))
    for text, href in entries:
        p = NBS/href
        if not p.exists(): continue
        t, summary = title_of(p)
        if not t or not t.startswith('# ') or t[2:].lstrip().startswith('#'):
            problems.append(f'{href}: the first markdown cell must start with "# Title" (got {t!r})'); continue
        if not summary.startswith('> '): problems.append(f'{href}: no "> summary" line after the title')
        if text is not None and text != t[2:].strip(): problems.append(f'sidebar.yml: title {text!r} for {href}, the notebook says {t[2:].strip()!r}')
    return len(want)

def proc(problems, file_glob=None):
    exe = Path(sys.executable).parent/'nbdev_proc_nbs'
    r = subprocess.run([str(exe), '--force'] + (['--file_glob', file_glob] if file_glob else []), cwd=ROOT, capture_output=True, text=True)
    if r.returncode: problems.append(f'nbdev_proc_nbs failed (exit {r.returncode}): {(r.stderr or r.stdout).strip()[-2000:]}')
    return ROOT/'_proc'

def convert(pdir:Path, problems, file_glob=None):
    from nbconvert import HTMLExporter
    import nbformat
    ex, n = HTMLExporter(), 0
    for nb in sorted(pdir.rglob(file_glob or '*.ipynb')):
        if any(q.startswith(('_', '.')) for q in nb.relative_to(pdir).parts): continue
        try:
            body, _ = ex.from_notebook_node(nbformat.read(str(nb), as_version=4))
            if '<html' not in body: raise ValueError('no <html> in the output')
            n += 1
        except Exception as e: problems.append(f'nbconvert {nb.relative_to(ROOT)}: {type(e).__name__}: {str(e)[:300]}')
    return n

def link_ok(base:Path, target:str) -> bool:
    t = target.split('#')[0].split('?')[0]
    if not t: return True
    p = (base/t).resolve()
    if p.exists(): return True
    if p.suffix == '.html': return p.with_suffix('.ipynb').exists() or p.with_suffix('.md').exists() or p.with_suffix('.qmd').exists()
    return False

def check_links(problems):
    sources = [(nb, [''.join(c['source']) for c in json.loads(nb.read_text())['cells'] if c['cell_type'] == 'markdown']) for nb in notebooks()]
    sources.append((ROOT/'README.md', [(ROOT/'README.md').read_text()]))
    n = 0
    for f, texts in sources:
        for txt in texts:
            for m in LINK.finditer(txt):
                t = m.group(1) or m.group(2)
                if re.match(r'^[a-z][a-z0-9+.-]*:', t, re.I) or t.startswith(('#', '/')): continue
                if not re.search(r'\.(ipynb|html|md)(#.*)?$', t): continue
                n += 1
                base = NBS if f.name == 'README.md' and not link_ok(f.parent, t) else f.parent   # README links may point into nbs/
                if not link_ok(base, t): problems.append(f'{f.relative_to(ROOT)}: broken link {t!r}')
    return n

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--no-proc', action='store_true', help='skip nbdev_proc_nbs and nbconvert (the list and link checks only)')
    ap.add_argument('--file-glob', default=None, help='process and convert only these notebooks (a quick local check)')
    a = ap.parse_args(argv)
    problems, t0 = [], time.time()
    n_nb = check_lists(problems)
    n_html = 0
    if not a.no_proc:
        sb = (NBS/'sidebar.yml').read_text()       # nbdev rewrites it unless settings.ini says custom_sidebar = True
        try: pdir = proc(problems, a.file_glob)
        finally:
            if (NBS/'sidebar.yml').read_text() != sb: (NBS/'sidebar.yml').write_text(sb)
        if pdir.exists(): n_html = convert(pdir, problems, a.file_glob)
    n_links = check_links(problems)
    for p in problems: print('docs:', p)
    if problems: print(f'docs input: {len(problems)} problem(s)'); return 1
    print(f'docs input OK: {n_nb} notebooks listed in sidebar.yml and _quarto.yml with their titles, '
          f'{n_html} processed notebooks converted to HTML, {n_links} internal links resolve ({time.time() - t0:.0f} s)')
    return 0

if __name__ == '__main__': sys.exit(main())
