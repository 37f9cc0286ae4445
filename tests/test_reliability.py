"""Where scikit-learn's MLP goes wrong, ours must not."""

import warnings

import _reliability_support as support
import numpy as np
import pytest
from _reliability_support import KINDS, SOLVERS, STOCHASTIC, X, Y, ignore_convergence
from sklearn.exceptions import ConvergenceWarning

from skscratch import SKOPS_TRUSTED_TYPES, ScratchMLPClassifier, ScratchMLPRegressor

# ======================== 8. where scikit-learn's MLP goes wrong, we must not


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("solver", STOCHASTIC)
def test_zero_weight_batch_is_skipped_not_divided_by_zero(kind, solver):
    # scikit-learn divides by the batch's total weight: 0/0 and NaN weights
    sw = np.ones(len(X))
    sw[:10] = 0.0
    params = {
        "solver": solver,
        "shuffle": False,
        "batch_size": 10,
        "max_iter": 3,
        "learning_rate_init": 0.01,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        weighted = support._make(kind, **params).fit(X, Y[kind], sample_weight=sw)
        without = support._make(kind, **params).fit(X[10:], Y[kind][10:])
    assert np.isfinite(weighted.loss_curve_).all()
    # skipping the batch is exactly training on the rows that carry weight
    support._assert_params_equal(support._params(weighted), support._params(without))


@ignore_convergence
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("solver", SOLVERS)
def test_warm_start_with_new_hidden_layer_sizes_raises_and_keeps_model(kind, solver):
    est = support._make(kind, solver=solver, warm_start=True).fit(X, Y[kind])
    summary = support._fitted_summary(est)
    est.set_params(hidden_layer_sizes=(4, 2))
    with pytest.raises(ValueError, match=r"warm_start=True.*\[3, 4, 2, \d\]"):
        est.fit(X, Y[kind])
    support._assert_same_fitted_state(est, summary)


@ignore_convergence
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("before", "after"), [("adam", "sgd"), ("sgd", "adam")])
@pytest.mark.parametrize("how", ["warm_start_fit", "partial_fit"])
def test_changing_the_solver_uses_the_new_solver(kind, before, after, how):
    # Continuing with another solver must take that solver's steps, from a
    # fresh optimizer, or refuse clearly; never keep stepping with the
    # previous solver's optimizer.
    params = {"shuffle": False, "learning_rate_init": 0.01, "warm_start": True}
    est = support._make(kind, solver=before, **params).fit(X, Y[kind])
    # the reference: a model of the new solver, given the same weights, and
    # trained one epoch by a fresh optimizer
    reference = support._make(kind, solver=after, max_iter=1, **params).fit(X, Y[kind])
    reference.coefs_ = [c.copy() for c in est.coefs_]
    reference.intercepts_ = [b.copy() for b in est.intercepts_]
    reference.fit(X, Y[kind])
    est.set_params(solver=after)
    if how == "warm_start_fit":
        est.set_params(max_iter=1).fit(X, Y[kind])
    else:
        try:
            est.partial_fit(X, Y[kind])
        except ValueError as exc:
            assert "solver" in str(exc)
            return
    support._assert_params_equal(support._params(est), support._params(reference))


@ignore_convergence
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("now", [True, False])
def test_warm_start_after_switching_early_stopping(kind, now):
    # scikit-learn crashes with AttributeError / TypeError here. Either the
    # refit works and its attributes describe it, or it refuses clearly.
    est = support._make(
        kind, warm_start=True, early_stopping=not now, learning_rate_init=0.01
    )
    est.fit(X, Y[kind])
    summary = support._fitted_summary(est)
    est.set_params(early_stopping=now)
    try:
        est.fit(X, Y[kind])
    except ValueError as exc:
        assert "early_stopping" in str(exc)
        support._assert_same_fitted_state(est, summary)
        return
    if now:
        assert len(est.validation_scores_) == est.n_iter_
        assert est.best_validation_score_ == max(est.validation_scores_)
        assert est.best_loss_ is None
    else:
        assert est.validation_scores_ is None
        assert est.best_validation_score_ is None
        assert np.isfinite(est.best_loss_)
    assert all(np.isfinite(out).all() for out in support._outputs(est, X))


@ignore_convergence
@pytest.mark.parametrize(
    ("target", "n_columns"),
    [("binary", 2), ("multiclass", 3), ("multilabel", 2), ("partial_fit", 5)],
)
@pytest.mark.parametrize("labels", ["int", "str"])
def test_predict_proba_has_one_column_per_class(target, n_columns, labels):
    # scikit-learn fits one class and then returns two probability columns
    names = np.array(["x", "y", "z", "u", "v"]) if labels == "str" else np.arange(5)
    clf = support._make("clf")
    if target == "binary":
        clf.fit(X, names[Y["clf"] % 2])
    elif target == "multiclass":
        clf.fit(X, names[Y["clf"]])
    elif target == "multilabel":
        clf.fit(X, np.c_[Y["clf"] == 0, X[:, 1] > 0].astype(int))
    else:  # the first batch shows 3 of the 5 classes
        clf.partial_fit(X, names[Y["clf"]], classes=names)
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), len(clf.classes_)) == (len(X), n_columns)
    assert clf.predict_log_proba(X).shape == proba.shape
    assert set(np.ravel(clf.predict(X))) <= set(np.ravel(clf.classes_))


@ignore_convergence
@pytest.mark.parametrize("target", ["binary", "multiclass"])
def test_predict_log_proba_never_minus_inf_when_saturated(target):
    # scikit-learn takes log(predict_proba): -inf once a probability is 0
    clf, X_, _ = support._huge_weight_model(target, np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        log_proba = clf.predict_log_proba(X_)
    assert not np.isneginf(log_proba).any()
    assert np.isfinite(log_proba).all()
    assert log_proba.min() < -30  # saturated: some classes are very unlikely
    np.testing.assert_array_equal(
        log_proba.argmax(axis=1), clf.predict_proba(X_).argmax(axis=1)
    )


@ignore_convergence
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("container", ["str", "object", "bytes"])
def test_numeric_strings_accepted_by_fit_are_accepted_by_predict(kind, container):
    # scikit-learn fits on an array of numeric strings, then refuses it in predict
    X_str = X.astype(str)  # repr digits: converting back is exact
    X_str = {"str": X_str, "object": X_str.astype(object), "bytes": X_str.astype(bytes)}
    X_str = X_str[container]
    from_strings = support._make(kind).fit(X_str, Y[kind])
    from_floats = support._make(kind).fit(X, Y[kind])
    support._assert_params_equal(
        support._params(from_strings), support._params(from_floats)
    )
    for a, b in zip(
        support._outputs(from_strings, X_str),
        support._outputs(from_floats, X),
        strict=True,
    ):
        assert np.array_equal(a, b)
    assert from_strings.score(X_str, Y[kind]) == from_floats.score(X, Y[kind])
    # and a model fitted on floats predicts strings of the same numbers alike
    for a, b in zip(
        support._outputs(from_floats, X_str),
        support._outputs(from_floats, X),
        strict=True,
    ):
        assert np.array_equal(a, b)


@ignore_convergence
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_no_overflow_warning_on_huge_but_finite_features(kind, solver):
    # scikit-learn overflows in its Adam update and log(predict_proba) here
    X_huge = X * 1e150
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        if (kind, solver) == ("reg", "lbfgs"):
            # squared errors of predictions near 1e150 overflow the loss, and
            # L-BFGS stops there: a clear error, where scikit-learn returns a
            # model whose loss_ is NaN
            est = support._make(kind, solver=solver)
            with pytest.raises(ValueError, match="non-finite loss"):
                est.fit(X_huge, Y[kind])
            assert not hasattr(est, "coefs_")
            return
        est = support._make(kind, solver=solver).fit(X_huge, Y[kind])
        outputs = support._outputs(est, X_huge)
    assert all(np.isfinite(out).all() for out in outputs)
    if kind == "clf":
        support._assert_valid_proba(outputs[1], 3)


@ignore_convergence
@pytest.mark.parametrize("target", ["binary", "multiclass"])
def test_logits_beyond_float_range_still_give_probabilities(target):
    # Inputs near the largest float overflow the logits to +-inf. The classes
    # are still unambiguous: probabilities must stay valid, with no warning.
    y = (X[:, 0] > 0).astype(int) if target == "binary" else Y["clf"]
    clf = support._make("clf", hidden_layer_sizes=()).fit(X[:, :1], y)
    if target == "binary":
        clf.coefs_ = [np.array([[10.0]])]
        clf.intercepts_ = [np.zeros(1)]
    else:
        clf.coefs_ = [np.array([[10.0, -10.0, 0.0]])]
        clf.intercepts_ = [np.zeros(3)]
    X_edge = np.array([[1e308], [-1e308], [1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        pred, proba, log_proba = support._outputs(clf, X_edge)
    support._assert_valid_proba(proba, 2 if target == "binary" else 3, rtol=1e-6)
    assert np.isfinite(log_proba).all()
    expected = [1, 0, 1] if target == "binary" else [0, 1, 0]
    np.testing.assert_array_equal(pred, clf.classes_[expected])


@ignore_convergence
@pytest.mark.parametrize("solver", SOLVERS)
def test_poisson_rejects_negative_targets_everywhere(solver):
    # scikit-learn trains a Poisson model on negative targets without a word
    y = np.abs(Y["reg"])
    y_bad = y.copy()
    y_bad[7] = -0.5
    reg = support._make("reg", loss="poisson", solver=solver, warm_start=True).fit(X, y)
    summary = support._fitted_summary(reg)
    calls = [lambda: reg.fit(X, y_bad)]
    if solver != "lbfgs":
        calls.append(lambda: reg.partial_fit(X, y_bad))
    for call in calls:
        with pytest.raises(ValueError, match="negative which is not allowed"):
            call()
        support._assert_same_fitted_state(reg, summary)
    # zero counts are fine
    zeros = support._make("reg", loss="poisson", solver=solver).fit(X, 0 * y)
    assert np.all(zeros.predict(X) > 0)
    assert np.isfinite(zeros.predict(X)).all()


@pytest.mark.parametrize("solver", ["sgd", "adam", "rmsprop", "adamw", "lbfgs"])
@pytest.mark.parametrize("cls", [ScratchMLPClassifier, ScratchMLPRegressor])
def test_skops_trusted_types_cover_every_model(tmp_path, cls, solver):
    X = np.random.RandomState(0).normal(size=(30, 3))
    y = (X[:, 0] > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = cls(solver=solver, max_iter=2, random_state=0).fit(X, y)
    path = tmp_path / "model.skops"
    skops_io = pytest.importorskip("skops.io")  # the skops extra
    skops_io.dump(model, path)
    untrusted = skops_io.get_untrusted_types(file=path)
    assert untrusted and set(untrusted) <= set(SKOPS_TRUSTED_TYPES)
    loaded = skops_io.load(path, trusted=SKOPS_TRUSTED_TYPES)
    assert np.array_equal(loaded.predict(X), model.predict(X))
