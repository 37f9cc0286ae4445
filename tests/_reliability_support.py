"""Data, estimators and checks shared by the reliability tests."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from skscratch import ScratchMLPClassifier, ScratchMLPRegressor

SOLVERS = ["sgd", "adam", "lbfgs"]
STOCHASTIC = ["sgd", "adam"]
KINDS = ["clf", "reg"]
ESTIMATORS = {"clf": ScratchMLPClassifier, "reg": ScratchMLPRegressor}

ignore_convergence = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)


_rng = np.random.RandomState(0)
X = _rng.normal(size=(40, 3))
Y = {
    "clf": np.arange(40) % 3,
    "reg": X @ np.array([1.0, -2.0, 0.5]) + 0.1 * _rng.normal(size=40),
}


def frame():
    """X as a pandas data frame with columns a, b, c (skips without pandas)."""
    pd = pytest.importorskip("pandas")
    return pd.DataFrame(X, columns=["a", "b", "c"])


def _make(kind, **params):
    """A small, seeded estimator."""
    defaults = {"hidden_layer_sizes": (4,), "max_iter": 5, "random_state": 0}
    defaults.update(params)
    return ESTIMATORS[kind](**defaults)


def _partial_fit(est, X_, y_, **kwargs):
    """partial_fit, passing the classes a classifier needs on its first call."""
    if isinstance(est, ScratchMLPClassifier) and not hasattr(est, "classes_"):
        kwargs.setdefault("classes", np.unique(Y["clf"]))
    return est.partial_fit(X_, y_, **kwargs)


def _params(est):
    return [p.copy() for p in est.coefs_ + est.intercepts_]


def _assert_params_equal(a, b):
    assert len(a) == len(b)
    for p, q in zip(a, b, strict=True):
        assert p.dtype == q.dtype
        np.testing.assert_array_equal(p, q)


def _outputs(est, X_):
    """Every prediction a user may ask for, as a list of arrays."""
    out = [est.predict(X_)]
    if isinstance(est, ScratchMLPClassifier):
        out += [est.predict_proba(X_), est.predict_log_proba(X_)]
    return out


def _fitted_summary(est):
    """The fitted state a user sees, copied: weights, counters and curves."""
    return {
        "params": _params(est),
        "n_iter_": est.n_iter_,
        "t_": est.t_,
        "loss_curve_": list(est.loss_curve_),
        "loss_": getattr(est, "loss_", None),
        "best_loss_": est.best_loss_,
        "attributes": sorted(k for k in vars(est) if k.endswith("_")),
    }


def _assert_same_fitted_state(est, summary):
    _assert_params_equal(_params(est), summary["params"])
    assert np.isfinite(np.concatenate([p.ravel() for p in _params(est)])).all()
    for key in ["n_iter_", "t_", "loss_curve_", "loss_", "best_loss_"]:
        assert getattr(est, key, None) == summary[key], key
    assert sorted(k for k in vars(est) if k.endswith("_")) == summary["attributes"]


def _assert_unfitted(est):
    with pytest.raises(NotFittedError):
        check_is_fitted(est)
    assert not [k for k in vars(est) if k.endswith("_") and not k.startswith("_")]


def _assert_valid_proba(proba, n_classes, rtol=1e-12):
    assert proba.shape[1] == n_classes
    assert np.isfinite(proba).all()
    assert np.all(proba >= 0)
    assert np.all(proba <= 1)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=rtol)


def _huge_weight_model(target, dtype):
    """A fitted classifier whose weights are scaled so its logits are enormous."""
    y = {
        "binary": Y["clf"] == 1,
        "multiclass": Y["clf"],
        "multilabel": np.c_[Y["clf"] == 0, X[:, 1] > 0].astype(int),
    }[target]
    X_ = X.astype(dtype)
    clf = _make("clf", solver="lbfgs", max_iter=30).fit(X_, y)
    # two layers, each scaled: logits near 1e200 (float64) or 1e30 (float32)
    scale = dtype(1e100) if dtype == np.float64 else dtype(1e15)
    clf.coefs_ = [c * scale for c in clf.coefs_]
    clf.intercepts_ = [b * scale for b in clf.intercepts_]
    return clf, X_, y
