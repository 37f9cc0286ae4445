"""Sphinx configuration of the skscratch documentation.

Build from the repository root with::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

Nothing is downloaded while building: there is no intersphinx, and references
to scikit-learn objects are turned into links by ``_ext/skscratch_docs.py``.
"""

import os
import sys
from pathlib import Path

# Set before NumPy is first imported, with skscratch just below. The
# examples multiply small matrices, which one BLAS thread does fastest; extra
# threads only wait for each other, and badly so on a busy machine. Figures
# are drawn off screen.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
os.environ.setdefault("MPLBACKEND", "Agg")

import skscratch  # noqa: E402  (after the thread settings above)

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

# -- Project ------------------------------------------------------------------

project = "skscratch"
author = "The skscratch developers"
copyright = "The skscratch developers"
release = skscratch.__version__
version = release

# -- General ------------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    # MathJax served from the built site itself, not from a CDN: formulas
    # render with no network (this extension ships MathJax 3 and points
    # mathjax_path at its copy in _static/).
    "sphinx-mathjax-offline",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
    "skscratch_docs",
]

source_suffix = {".rst": "restructuredtext"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "_templates",
    "_ext",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "auto_examples/*.md5",
    "auto_examples/*.codeobj.json",
]
default_role = "literal"
pygments_style = "sphinx"

# -- autodoc, autosummary, numpydoc ------------------------------------------

autosummary_generate = True
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"

numpydoc_show_class_members = False
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# -- sphinx-gallery -----------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": ["../examples"],
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    # Named by its import path so that Sphinx can cache the configuration.
    "within_subsection_order": "skscratch_docs.GallerySortKey",
    "doc_module": ("skscratch",),
    "backreferences_dir": "generated/backreferences",
    "inspect_global_variables": False,
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "show_memory": False,
    "min_reported_time": 1,
    # The computation-time summary pages load jQuery and DataTables from
    # CDNs; each example's page still reports its own running time.
    "write_computation_times": False,
    "download_all_examples": False,
}

# -- MyST (for the Markdown files included from outside docs/) ---------------

myst_heading_anchors = 3

# -- MathJax ------------------------------------------------------------------

# MathJax 3 runs in the reader's browser from the site's own _static/mathjax
# (sphinx-mathjax-offline, above), so pages need no network. The textmacros
# package lets formulas in docstrings escape characters inside
# \text{...}, as in \text{fan\_in}.
mathjax3_config = {
    "loader": {"load": ["[tex]/textmacros"]},
    "tex": {"packages": {"[+]": ["textmacros"]}},
}

# -- HTML ---------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"skscratch {release}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
    "secondary_sidebar_items": ["page-toc", "sourcelink"],
}
html_sidebars = {
    "index": [],
    "install": [],
    "migration": [],
    "benchmarks": [],
    "benchmark_results": [],
}
html_static_path = ["_static"]
html_css_files = ["skscratch.css"]
# "fit()" rather than "ScratchMLPClassifier.fit()" in the "On this page" column.
toc_object_entries_show_parents = "hide"
html_show_sourcelink = True
html_copy_source = True
