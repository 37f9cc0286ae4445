"""Code written for scikit-learn's MLP, run with skscratch's estimators.

Each test takes a piece of scikit-learn code as a user would write it, swaps
the class, and checks that it runs and gives scikit-learn's result; or, where
scikit-learn silently returns nonsense, that we raise in its wording.
"""

import pickle
import warnings

import numpy as np
import pytest
import sklearn.neural_network as sknn
from sklearn.datasets import load_iris, make_circles, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skscratch
from skscratch import (
    MLPClassifier,
    MLPRegressor,
    ScratchMLPClassifier,
    ScratchMLPRegressor,
)

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
ignore_convergence = pytest.mark.filterwarnings("ignore::UserWarning")


# ------------------------------------------------------------------ the names
@pytest.mark.parametrize(
    ("ours", "theirs", "step"),
    [
        (MLPClassifier, sknn.MLPClassifier, "mlpclassifier"),
        (MLPRegressor, sknn.MLPRegressor, "mlpregressor"),
    ],
)
def test_drop_in_names_give_sklearn_step_names(ours, theirs, step):
    pipe_ours = make_pipeline(StandardScaler(), ours())
    pipe_theirs = make_pipeline(StandardScaler(), theirs())
    assert list(pipe_ours.named_steps) == list(pipe_theirs.named_steps)
    assert step in pipe_ours.named_steps
    # every parameter key scikit-learn's pipeline has, ours has too
    assert set(pipe_theirs.get_params()) <= set(pipe_ours.get_params())


def test_grid_written_for_sklearn_runs_unchanged():
    grid = {"mlpclassifier__alpha": [1e-4, 1e-1]}
    results = []
    for cls in (sknn.MLPClassifier, MLPClassifier):
        pipe = make_pipeline(
            StandardScaler(), cls(solver="lbfgs", max_iter=200, random_state=0)
        )
        search = GridSearchCV(pipe, grid, cv=3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            search.fit(X_IRIS, Y_IRIS)
        results.append((search.best_params_, search.cv_results_["mean_test_score"]))
    assert results[0][0] == results[1][0]
    np.testing.assert_allclose(results[0][1], results[1][1])


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_drop_in_classes_are_the_scratch_estimators(cls):
    parent = ScratchMLPClassifier if cls is MLPClassifier else ScratchMLPRegressor
    assert issubclass(cls, parent)
    assert cls().get_params() == parent().get_params()
    # saved and loaded like the estimator they extend
    assert f"{cls.__module__}.{cls.__name__}" in skscratch.SKOPS_TRUSTED_TYPES
    est = pickle.loads(pickle.dumps(cls(hidden_layer_sizes=3)))
    assert type(est) is cls


# ------------------------------------------------------------- classification
@ignore_convergence
def test_single_class_fits_like_sklearn():
    y = np.full(len(X_IRIS), "only")
    ref = sknn.MLPClassifier(hidden_layer_sizes=3, max_iter=20, random_state=0)
    ours = MLPClassifier(hidden_layer_sizes=3, max_iter=20, random_state=0)
    ref.fit(X_IRIS, y)
    ours.fit(X_IRIS, y)
    np.testing.assert_array_equal(ours.classes_, ref.classes_)
    np.testing.assert_array_equal(ours.predict(X_IRIS), ref.predict(X_IRIS))
    np.testing.assert_allclose(ours.predict_proba(X_IRIS), ref.predict_proba(X_IRIS))


@ignore_convergence
@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
def test_predict_log_proba_is_exactly_log_predict_proba(target):
    y = {
        "binary": Y_IRIS == 1,
        "multiclass": Y_IRIS,
        "multilabel": np.c_[Y_IRIS == 0, X_IRIS[:, 1] > 3].astype(int),
    }[target]
    clf = MLPClassifier(hidden_layer_sizes=5, max_iter=30, random_state=0)
    clf.fit(X_IRIS * 30, y)  # large inputs: saturated probabilities
    proba = clf.predict_proba(X_IRIS * 30)
    np.testing.assert_array_equal(clf.predict_log_proba(X_IRIS * 30), np.log(proba))
    assert np.isfinite(np.log(proba)).all()


def test_labels_mixing_strings_and_numbers_get_a_clear_type_error():
    y = np.array(["a", 1] * 75, dtype=object)
    with pytest.raises(TypeError, match="Mix of label input types"):
        MLPClassifier().fit(X_IRIS, y)
    # scikit-learn raises a TypeError too (from its sort)
    with pytest.raises(TypeError):
        sknn.MLPClassifier().fit(X_IRIS, y)


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({0: 1.0, 1: -2.0, 2: 1.0}, "Negative values in data passed to `class_weight`"),
        ({0: 1.0, 1: np.nan, 2: 1.0}, "class_weight contains NaN"),
        ({0: 1.0, 1: np.inf, 2: 1.0}, "class_weight contains infinity"),
    ],
)
def test_class_weight_must_be_finite_and_non_negative(weights, message):
    clf = MLPClassifier(class_weight=weights, max_iter=5)
    with pytest.raises(ValueError, match=message):
        clf.fit(X_IRIS, Y_IRIS)
    assert not hasattr(clf, "coefs_")


@pytest.mark.parametrize("with_sample_weight", [False, True])
def test_balanced_class_weight_matches_sklearn_formula(with_sample_weight):
    from sklearn.utils.class_weight import compute_class_weight

    rng = np.random.RandomState(0)
    y = np.repeat([0, 1, 2], [10, 30, 60])
    sw = rng.uniform(0.5, 2, len(y)) if with_sample_weight else None
    clf = MLPClassifier(class_weight="balanced", hidden_layer_sizes=2, max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(rng.randn(len(y), 2), y, sample_weight=sw)
    counts = np.bincount(y, weights=sw)
    expected = counts.sum() / (3 * counts)
    np.testing.assert_allclose(clf._class_weights, expected)
    if not with_sample_weight:
        ref = compute_class_weight("balanced", classes=np.arange(3), y=y)
        np.testing.assert_allclose(clf._class_weights, ref)


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_float32_inputs_near_the_float32_limit_raise_no_runtime_warning(cls):
    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, (30, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    huge = X * np.float32(3e38)
    est = cls(solver="lbfgs", hidden_layer_sizes=4, max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("error", RuntimeWarning)
        # training on them overflows the loss: a clear error, nothing else
        with pytest.raises(ValueError, match="non-finite"):
            est.fit(huge, y)
        est.fit(X, y)
        out = est.predict_proba(huge) if cls is MLPClassifier else est.predict(huge)
    assert out.dtype == np.float32
    assert np.isfinite(out).all()


# ----------------------------------------------------------------- regression
@pytest.mark.reference
@pytest.mark.parametrize("solver", ["lbfgs", "adam", "sgd"])
def test_multi_output_squared_error_reports_sklearn_loss(solver):
    X, y = make_regression(
        n_samples=80, n_features=4, n_targets=3, noise=1.0, random_state=0
    )
    y = y / y.std()
    kw = dict(hidden_layer_sizes=(6,), max_iter=40, random_state=0, solver=solver)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = sknn.MLPRegressor(**kw).fit(X, y)
        ours = MLPRegressor(**kw).fit(X, y)
    assert ours.n_iter_ == ref.n_iter_
    np.testing.assert_allclose(ours.loss_, ref.loss_, rtol=1e-9)
    np.testing.assert_allclose(ours.predict(X), ref.predict(X), rtol=1e-7, atol=1e-9)


# -------------------------------------------------------------------- L-BFGS
@pytest.mark.reference
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_lbfgs_follows_sklearn_over_a_whole_run(activation):
    # Hundreds of iterations: rounding differences of one ulp would grow until
    # the runs part ways, so this holds only with scikit-learn's arithmetic.
    X, y = make_circles(noise=0.2, factor=0.5, random_state=1)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.4, random_state=42)
    runs = []
    for cls in (sknn.MLPClassifier, MLPClassifier):
        model = make_pipeline(
            StandardScaler(),
            cls(
                solver="lbfgs",
                alpha=0.1,
                hidden_layer_sizes=[10, 10],
                activation=activation,
                max_iter=2000,
                random_state=1,
            ),
        ).fit(X_tr, y_tr)
        runs.append((model[-1].n_iter_, model[-1].loss_, model.score(X_te, y_te)))
    (n_ref, loss_ref, score_ref), (n_ours, loss_ours, score_ours) = runs
    assert n_ref > 150  # a long run
    assert n_ours == n_ref
    assert abs(loss_ours - loss_ref) < 1e-10
    assert score_ours == score_ref


# ----------------------------------------------------------------- divergence
def _diverging(**params):
    return MLPRegressor(
        hidden_layer_sizes=100,
        activation="identity",
        solver="sgd",
        learning_rate_init=1,
        max_iter=20,
        random_state=0,
        **params,
    )


def test_divergence_with_early_stopping_keeps_the_best_weights():
    X, y = X_IRIS, Y_IRIS.astype(float)
    est = _diverging(early_stopping=True)
    with pytest.warns(ConvergenceWarning, match="Training diverged in epoch"):
        est.fit(X, y)
    assert np.isnan(est.validation_scores_[-1])
    assert np.isnan(est.loss_) and np.isnan(est.loss_curve_[-1])
    assert len(est.validation_scores_) == est.n_iter_ == len(est.loss_curve_)
    # the weights are the best epoch's: finite, and they score that epoch's
    # best validation score again
    assert all(np.isfinite(W).all() for W in est.coefs_ + est.intercepts_)
    assert est.best_validation_score_ == max(est.validation_scores_[:-1])
    assert np.isfinite(est.predict(X)).all()


def test_divergence_without_early_stopping_raises_in_sklearn_words():
    X, y = X_IRIS, Y_IRIS.astype(float)
    est = _diverging()
    with pytest.raises(ValueError, match="Solver produced non-finite parameter"):
        est.fit(X, y)
    assert not hasattr(est, "coefs_")  # the failed fit is undone


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
@pytest.mark.parametrize("early_stopping", [False, True])
def test_fitted_float_attributes_have_sklearn_types(solver, early_stopping):
    kw = dict(solver=solver, max_iter=3, early_stopping=early_stopping, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = sknn.MLPClassifier(**kw).fit(X_IRIS, Y_IRIS)
        ours = MLPClassifier(**kw).fit(X_IRIS, Y_IRIS)
    for name in ["loss_", "best_loss_", "best_validation_score_"]:
        if hasattr(ref, name):  # scikit-learn's L-BFGS sets fewer attributes
            assert type(getattr(ours, name)) is type(getattr(ref, name)), name
    if hasattr(ref, "loss_curve_"):
        assert {type(v) for v in ours.loss_curve_} == {type(v) for v in ref.loss_curve_}
    if getattr(ref, "validation_scores_", None) is not None:
        assert isinstance(ours.validation_scores_[0], float)


def test_lbfgs_with_a_non_finite_loss_raises_and_keeps_the_estimator():
    # Targets around 1e200 square to infinity: scikit-learn's L-BFGS stops at
    # once and keeps a model whose loss_ is NaN.
    rng = np.random.RandomState(0)
    X, y = rng.randn(30, 3), rng.randn(30) * 1e200
    est = MLPRegressor(solver="lbfgs", random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with pytest.raises(ValueError, match="non-finite loss"):
            est.fit(X, y)
    assert not hasattr(est, "coefs_")


@pytest.mark.parametrize("cls", [MLPClassifier, ScratchMLPRegressor])
def test_html_representation_links_to_our_api_page(cls):
    from skscratch._docs import DOCS_URL

    link = cls()._get_doc_link()
    assert link == f"{DOCS_URL}/generated/skscratch.{cls.__name__}.html"
    assert link in cls()._repr_html_()
