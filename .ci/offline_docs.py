"""The built documentation needs no network: maths and styles are local."""

import pathlib
import re
import sys

site = pathlib.Path("docs/_build/html")
remote = re.compile(r'<(?:script|link)\b[^>]*(?:src|href)="(?:https?:)?//[^"]+"[^>]*>')
bad, math_pages = [], 0
for page in site.rglob("*.html"):
    text = page.read_text(encoding="utf-8")
    bad += [
        f"{page}: {tag}"
        for tag in remote.findall(text)
        if "<link" not in tag or "stylesheet" in tag or "preload" in tag
    ]
    if 'class="math' in text:
        math_pages += 1
        if "_static/mathjax/tex-chtml.js" not in text:
            bad.append(f"{page}: has maths but no local MathJax")
for part in ("tex-chtml.js", "input/tex/extensions/textmacros.js"):
    if not (site / "_static" / "mathjax" / part).is_file():
        bad.append(f"_static/mathjax/{part} missing")
if bad or math_pages == 0:
    sys.exit("offline docs check failed:\n" + "\n".join(bad or ["no page has maths"]))
print(f"docs: {math_pages} pages with maths, all rendered by the site's own MathJax")
