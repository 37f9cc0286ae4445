"""Sphinx helpers of the skscratch documentation.

* The ``mlp-comparison`` directive builds the migration tables by
  introspecting scikit-learn's MLPs and skscratch's estimators at build time,
  so a parameter, attribute or method added to either side shows up without
  editing the page.
* References to scikit-learn, SciPy, NumPy and Python objects, which no
  inventory resolves (there is no intersphinx: the build downloads nothing),
  become links to their pages on the web.
* Cross-references inside docstrings inherited from scikit-learn, which point
  at scikit-learn's own glossary and user guide, are rendered as plain text.
"""

import builtins
import importlib
import inspect
import re
import sys
import warnings
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from numpydoc.docscrape import ClassDoc
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

# Gallery examples listed here come first, in this order; any other
# plot_*.py file follows, in alphabetical order.
GALLERY_ORDER = [
    "plot_network_in_40_lines.py",
    "plot_one_step_by_hand.py",
    "plot_xor.py",
    "plot_decision_boundaries.py",
    "plot_digits_grid_search.py",
    "plot_solver_loss_curves.py",
    "plot_regression.py",
    "plot_class_weight.py",
    "plot_dropout_l1.py",
    "plot_gradient_check.py",
    "plot_training_diagnostics.py",
]


class GallerySortKey:
    """Sort key of the gallery examples: ``GALLERY_ORDER``, then file name.

    Parameters
    ----------
    src_dir : str or pathlib.Path
        Folder of the examples (sphinx-gallery passes it; unused).
    """

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        """Return the sort key of one example file."""
        name = Path(filename).name
        known = name in GALLERY_ORDER
        return (GALLERY_ORDER.index(name) if known else len(GALLERY_ORDER), name)


# What the tables say about a name, beyond "same default" or "present in
# both". Keys are parameter, attribute or method names; a value may be a dict
# keyed by estimator kind when the note applies to one estimator only.
NOTES = {
    "parameters": {
        "solver": "``'lbfgs'`` also records ``loss_curve_``.",
        "warm_start": (
            "Continuing on a network of another shape (other "
            "``hidden_layer_sizes``, features or outputs) raises a "
            "``ValueError`` instead of failing later."
        ),
    },
    "attributes": {
        "loss_curve_": {
            "all": (
                "Also recorded with ``solver='lbfgs'``, one value per L-BFGS "
                "iteration; scikit-learn sets it for the stochastic solvers only."
            ),
        },
        "best_loss_": {
            "all": "Also set with ``solver='lbfgs'``.",
        },
        "validation_scores_": "Also set (to None) with ``solver='lbfgs'``.",
        "best_validation_score_": "Also set (to None) with ``solver='lbfgs'``.",
        "coefs_": (
            "Views of one flat parameter buffer; assigning new arrays is "
            "allowed and the next ``partial_fit`` or warm-started ``fit`` "
            "trains from them."
        ),
        "intercepts_": "Views of the same flat buffer as ``coefs_``.",
        "validation_loss_curve_": (
            "Loss on the validation set after each epoch, when there is one "
            "(early stopping, or ``X_val`` and ``y_val`` given to ``fit``)."
        ),
    },
    "methods": {
        "fit": (
            "A call that fails leaves the estimator as it was. A loss or "
            "weights that stop being finite raise a ``ValueError`` that says "
            "how to fix it."
        ),
        "partial_fit": (
            "Same as ``fit`` on failure. A batch whose sample weights sum to "
            "zero is skipped."
        ),
        "predict_proba": "No probability is exactly 0 or 1.",
        "predict_log_proba": (
            "Finite where scikit-learn's can be ``-inf``: the logarithm of "
            "probabilities that are never exactly 0."
        ),
        "predict": "Runs in blocks of rows: little memory beyond the result.",
    },
}


def _estimators(kind):
    """Return (scikit-learn's class, skscratch's class) for 'classifier' etc."""
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    import skscratch

    if kind == "classifier":
        return MLPClassifier, skscratch.ScratchMLPClassifier
    return MLPRegressor, skscratch.ScratchMLPRegressor


def _note(what, name, kind):
    """Return the hand-written note for a name, or an empty string.

    A note given as a dict has a part for both estimators (``"all"``) and
    parts for one (``"classifier"`` or ``"regressor"``).
    """
    note = NOTES[what].get(name, "")
    if isinstance(note, dict):
        note = " ".join(part for part in (note.get("all"), note.get(kind)) if part)
    return note


def _defaults(cls):
    """Return {parameter name: default} in signature order."""
    return {
        name: p.default
        for name, p in inspect.signature(cls).parameters.items()
        if p.kind is not inspect.Parameter.VAR_KEYWORD
    }


def _attributes(cls):
    """Return a class's fitted attributes: documented ones, then any other.

    The others are found on a small model fitted with early stopping, so that
    an attribute set by ``fit`` but missing from the docstring is listed too.
    """
    import numpy as np
    from sklearn.base import ClassifierMixin

    documented = [item.name for item in ClassDoc(cls)["Attributes"]]
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int) if issubclass(cls, ClassifierMixin) else X[:, 0]
    model = cls(hidden_layer_sizes=(3,), max_iter=3, early_stopping=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    fitted = sorted(
        name for name in vars(model) if name.endswith("_") and name[0] != "_"
    )
    return _union(documented, fitted)


def _methods(cls):
    """Return the public methods of a class, sorted."""
    return sorted(
        name
        for name, _ in inspect.getmembers(cls)
        if not name.startswith("_") and callable(getattr(cls, name, None))
    )


def _first_sentence(lines):
    """Return the first sentence of a docstring paragraph given as lines.

    A period inside inline markup (between backticks) does not end it.
    """
    text = " ".join(line.strip() for line in lines).strip()
    for match in re.finditer(r"\.(\s|$)", text):
        if text[: match.start()].count("`") % 2 == 0:
            return text[: match.start() + 1]
    return text


def _descriptions(cls, section):
    """Return {name: first sentence} for a numpydoc section of a class."""
    return {item.name: _first_sentence(item.desc) for item in ClassDoc(cls)[section]}


def _summary(cls, method):
    """Return the first sentence of a method's docstring."""
    doc = inspect.getdoc(getattr(cls, method)) or ""
    return _first_sentence(doc.split("\n\n")[0].splitlines())


def _union(first, second):
    """Names of ``first`` in order, then those only in ``second``."""
    return [*first, *(name for name in second if name not in first)]


def _literal(value):
    """Format a default value as inline code."""
    return f"``{value!r}``"


def _accepted(cls, name):
    """Return (string options, other accepted values) of a parameter.

    Read from scikit-learn's ``_parameter_constraints``, which both libraries
    use to validate parameters; empty when a class declares none.
    """
    from sklearn.utils._param_validation import StrOptions

    options, others = set(), set()
    for constraint in getattr(cls, "_parameter_constraints", {}).get(name, []):
        if isinstance(constraint, StrOptions):
            options |= set(constraint.options)
        elif isinstance(constraint, type):
            others.add(f"a {constraint.__name__}")
        else:
            others.add(str(constraint))
    return options, others


def _constraint_notes(kind, name):
    """Describe how the values a parameter accepts differ between the two."""
    (theirs_options, theirs_others), (ours_options, ours_others) = (
        _accepted(cls, name) for cls in _estimators(kind)
    )
    notes = []
    added = [f"``{o!r}``" for o in sorted(ours_options - theirs_options)]
    added += sorted(ours_others - theirs_others)
    if added:
        notes.append(f"Also accepts {_enumerate(added)}.")
    removed = [f"``{o!r}``" for o in sorted(theirs_options - ours_options)]
    if removed:
        notes.append(f"Does not accept {_enumerate(removed)}.")
    return notes


def _enumerate(items, conjunction="or"):
    """Join items as English: 'a', 'a or b', 'a, b or c'."""
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def _parameter_rows(kind):
    theirs, ours = (_defaults(cls) for cls in _estimators(kind))
    rows = []
    for name in _union(list(theirs), list(ours)):
        left = _literal(theirs[name]) if name in theirs else "(absent)"
        right = _literal(ours[name]) if name in ours else "(absent)"
        notes = []
        if name not in ours:
            notes.append("Not supported by skscratch.")
        elif name not in theirs:
            described = _descriptions(_estimators(kind)[1], "Parameters")
            notes.append(f"skscratch only. {described.get(name, '')}".strip())
        elif repr(theirs[name]) != repr(ours[name]):
            notes.append("**Different default.**")
        else:
            notes.append("Same default.")
        if name in ours and name in theirs:
            notes.extend(_constraint_notes(kind, name))
        extra = _note("parameters", name, kind)
        rows.append((f"``{name}``", left, right, " ".join([*notes, extra]).strip()))
    return rows


def _signature_note(kind, method):
    """Name the keyword arguments one library's method accepts and not the other."""
    theirs, ours = (
        list(inspect.signature(getattr(cls, method)).parameters)
        for cls in _estimators(kind)
    )
    notes = []
    added = [f"``{p}``" for p in ours if p not in theirs]
    if added:
        notes.append(f"Also takes {_enumerate(added, 'and')}.")
    missing = [f"``{p}``" for p in theirs if p not in ours]
    if missing:
        notes.append(f"Does not take {_enumerate(missing, 'and')}.")
    return " ".join(notes)


def _presence_rows(what, kind, collect):
    theirs, ours = (collect(cls) for cls in _estimators(kind))
    rows = []
    for name in _union(theirs, ours):
        left = "yes" if name in theirs else "no"
        right = "yes" if name in ours else "no"
        note = _note(what, name, kind)
        if what == "methods" and name in theirs and name in ours:
            note = " ".join(filter(None, [_signature_note(kind, name), note]))
        if name not in ours:
            note = f"Not in skscratch. {note}".strip()
        elif name not in theirs:
            ours_cls = _estimators(kind)[1]
            if what == "attributes":
                summary = _descriptions(ours_cls, "Attributes").get(name, "")
            else:
                summary = _summary(ours_cls, name)
            note = f"skscratch only. {note or summary}".strip()
        rows.append((f"``{name}``", left, right, note or "Same."))
    return rows


def _list_table(header, rows, widths):
    """Return the lines of a ``list-table`` directive."""
    lines = [
        ".. list-table::",
        "   :header-rows: 1",
        f"   :widths: {' '.join(str(w) for w in widths)}",
        "   :class: mlp-comparison",
        "",
    ]
    for row in [header, *rows]:
        for i, cell in enumerate(row):
            lines.append(f"   {'*' if i == 0 else ' '} - {cell}")
    return lines


class MLPComparison(SphinxDirective):
    """Table comparing one aspect of scikit-learn's MLP and skscratch's.

    Usage::

        .. mlp-comparison:: classifier
           :what: parameters

    The argument is ``classifier`` or ``regressor``; ``:what:`` is
    ``parameters``, ``attributes`` or ``methods``.
    """

    required_arguments = 1
    option_spec = {
        "what": lambda arg: directives.choice(
            arg, ("parameters", "attributes", "methods")
        )
    }

    def run(self):
        """Build the table and return its nodes."""
        kind = directives.choice(self.arguments[0], ("classifier", "regressor"))
        what = self.options.get("what", "parameters")
        theirs, ours = (cls.__name__ for cls in _estimators(kind))
        if what == "parameters":
            header = ("Parameter", f"{theirs} default", f"{ours} default", "Notes")
            rows = _parameter_rows(kind)
            widths = (20, 18, 18, 44)
        else:
            collect = _attributes if what == "attributes" else _methods
            label = what[:-1].capitalize()
            header = (label, theirs, ours, "Notes")
            rows = _presence_rows(what, kind, collect)
            widths = (24, 12, 12, 52)
        container = nodes.container()
        source, _ = self.get_source_info()
        self.state.nested_parse(
            StringList(_list_table(header, rows, widths), source=source),
            self.content_offset,
            container,
        )
        return container.children


# -- references the build cannot resolve by itself ---------------------------

# Where the API pages of other projects live. A page is linked only when the
# object imports and is public, so a link is never made up from a typo.
EXTERNAL_API = {
    "sklearn": "https://scikit-learn.org/stable/modules/generated/{name}.html",
    "scipy": "https://docs.scipy.org/doc/scipy/reference/generated/{name}.html",
    "numpy": "https://numpy.org/doc/stable/reference/generated/{name}.html",
}
PYTHON_DOCS = "https://docs.python.org/3/library/"


def _import_dotted(dotted):
    """Import and return the object at a dotted path, or None."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        try:
            for part in parts[split:]:
                obj = getattr(obj, part)
        except AttributeError:
            return None
        return obj
    return None


def _external_url(target):
    """Return the web page documenting ``target``, or None."""
    if target in sys.stdlib_module_names:
        return f"{PYTHON_DOCS}{target}.html"
    if "." not in target:
        obj = getattr(builtins, target, None)
        if inspect.isclass(obj) and issubclass(obj, BaseException):
            return f"{PYTHON_DOCS}exceptions.html#{target}"
        if inspect.isbuiltin(obj) or inspect.isclass(obj):
            return f"{PYTHON_DOCS}functions.html#{target}"
        return None
    package = target.split(".")[0]
    if package not in EXTERNAL_API or "._" in f".{target}":
        return None
    obj = _import_dotted(target)
    if obj is None:
        return None
    owner_name = target.rsplit(".", 1)[0]
    if inspect.isclass(_import_dotted(owner_name)):  # a method or an attribute
        return f"{EXTERNAL_API[package].format(name=owner_name)}#{target}"
    if callable(obj):  # a class or a function
        return EXTERNAL_API[package].format(name=target)
    return None


def _where_defined(target, module):
    """Return the documented name of an object imported under another name."""
    for name in (f"{module}.{target}" if module else None, target):
        if not name or not name.startswith("skscratch"):
            continue
        obj = _import_dotted(name)
        qualname = getattr(obj, "__qualname__", None)
        home = getattr(obj, "__module__", None)
        if qualname and home and f"{home}.{qualname}" != name:
            return f"{home}.{qualname}"
    return None


def resolve_reference(app, env, node, contnode):
    """Resolve Python references that no inventory of this build holds.

    Objects of scikit-learn, SciPy, NumPy and the standard library link to
    their documentation on the web (nothing is downloaded to do so). Names a
    skscratch module imports from another, such as ``output_layer`` inside
    :mod:`skscratch._core.network`, link to the page of the module that
    defines them.
    """
    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "")
    real = _where_defined(target, node.get("py:module"))
    if real is not None:
        domain = env.get_domain("py")
        return domain.resolve_xref(
            env, node["refdoc"], app.builder, node["reftype"], real, node, contnode
        )
    url = _external_url(target)
    if url is None:
        return None
    reference = nodes.reference("", "", internal=False, refuri=url)
    reference["reftitle"] = target
    reference.append(contnode)
    return reference


# -- docstrings inherited from scikit-learn -----------------------------------

_SKLEARN_ROLE = re.compile(r":(?:ref|term):`([^`<]*?)\s*(?:<([^`>]*)>)?`")


def _plain(match):
    """Text of a ``:ref:`` or ``:term:`` role, without the link."""
    title, target = match.group(1), match.group(2)
    return f"*{(title or target).strip()}*"


def strip_sklearn_roles(app, what, name, obj, options, lines):
    """Unlink glossary and user-guide references in scikit-learn docstrings.

    They point at scikit-learn's own documentation, which this build has no
    inventory of; left alone they would be broken references.
    """
    module = getattr(obj, "__module__", None) or ""
    if module.startswith("skscratch"):
        return
    lines[:] = [_SKLEARN_ROLE.sub(_plain, line) for line in lines]


_PARAMETER_LINE = re.compile(r"^(\s*\*{0,2}[\w, ]+ : )(.*)$")
_TRAILING_UNDERSCORE = re.compile(r"(?<![`\w])([A-Za-z]\w*_)(?![\w`])")


def quote_attribute_names_in_types(app, what, name, obj, options, lines):
    """Render names such as ``n_iter_`` in numpydoc type fields as code.

    In reStructuredText a word ending with an underscore is a link to a
    target of that name, so a type written ``list of shape (n_iter_,)``
    makes docutils report an unknown target. Such names are quoted as inline
    code in the type part of parameter and attribute lines.
    """
    for i, line in enumerate(lines):
        match = _PARAMETER_LINE.match(line)
        if match:
            head, kind = match.groups()
            lines[i] = head + _TRAILING_UNDERSCORE.sub(r"``\1``", kind)


def check_api_coverage(app):
    """Warn about public objects that the API reference does not list.

    Run with ``-W``, the build then fails until a new public object gets its
    page in ``docs/api.rst``.
    """
    text = (Path(app.srcdir) / "api.rst").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\s+~?([\w.]+)\s*$", text, flags=re.MULTILINE))
    for module_name in ("skscratch", "skscratch.plotting"):
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", []):
            if name.startswith("__") or name in listed:
                continue
            if f"{module_name}.{name}" not in listed:
                logger.warning(
                    "%s.%s is public (it is in __all__) but docs/api.rst does "
                    "not list it.",
                    module_name,
                    name,
                )


def setup(app):
    """Register the directive and the event handlers."""
    app.add_directive("mlp-comparison", MLPComparison)
    app.connect("builder-inited", check_api_coverage)
    app.connect("missing-reference", resolve_reference)
    app.connect("autodoc-process-docstring", strip_sklearn_roles, priority=400)
    app.connect(
        "autodoc-process-docstring", quote_attribute_names_in_types, priority=400
    )
    return {"parallel_read_safe": True, "parallel_write_safe": True}
