"""Behaviour of ScratchMLPRegressor, and parity with scikit-learn's MLPRegressor."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_diabetes, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skscratch import ScratchMLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _regression(n_targets=1, seed=0):
    X, y = make_regression(
        n_samples=300, n_features=8, n_targets=n_targets, noise=5.0, random_state=seed
    )
    return StandardScaler().fit_transform(X), y / np.std(y)


@pytest.mark.reference
@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
@pytest.mark.parametrize("n_targets", [1, 3])
def test_training_follows_sklearn_step_for_step(solver, loss, n_targets):
    X, y = _regression(n_targets)
    if loss == "poisson":
        y = np.abs(y)
    params = dict(
        loss=loss,
        solver=solver,
        hidden_layer_sizes=(16, 8),
        max_iter=8,
        random_state=0,
        learning_rate_init=0.01,
    )
    ours = ScratchMLPRegressor(**params).fit(X, y)
    ref = MLPRegressor(**params).fit(X, y)
    # The same arithmetic as scikit-learn, so the same iterates: also for
    # L-BFGS with several outputs, where scikit-learn's line search reads the
    # loss averaged over the outputs and the gradient of their sum.
    assert ours.n_iter_ == ref.n_iter_
    for mine, theirs in zip(
        ours.coefs_ + ours.intercepts_, ref.coefs_ + ref.intercepts_, strict=True
    ):
        np.testing.assert_allclose(mine, theirs, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ours.predict(X), ref.predict(X), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ours.loss_, ref.loss_, rtol=1e-8)
    if solver != "lbfgs":  # scikit-learn keeps no curve for L-BFGS
        np.testing.assert_allclose(ours.loss_curve_, ref.loss_curve_, rtol=1e-8)


def _heldout_r2(cls, X, y, **params):
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0)
    model = make_pipeline(StandardScaler(), cls(random_state=0, **params))
    return model.fit(X_tr, y_tr).score(X_te, y_te)


@pytest.mark.parametrize("solver", ["adam", "lbfgs", "sgd"])
def test_heldout_r2_parity_make_regression(solver):
    X, y = make_regression(n_samples=600, n_features=10, noise=10.0, random_state=1)
    y = y / y.std()
    params = dict(solver=solver, hidden_layer_sizes=(50,), max_iter=300)
    if solver == "sgd":
        params["learning_rate_init"] = 0.01
    ours = _heldout_r2(ScratchMLPRegressor, X, y, **params)
    ref = _heldout_r2(MLPRegressor, X, y, **params)
    assert ours > 0.9
    assert abs(ours - ref) < 0.02


@pytest.mark.parametrize("solver", ["adam", "lbfgs", "sgd"])
def test_heldout_r2_parity_diabetes(solver):
    X, y = load_diabetes(return_X_y=True)
    y = (y - y.mean()) / y.std()
    # A small, strongly regularised net: diabetes is noisy and overfits easily.
    params = dict(solver=solver, hidden_layer_sizes=(10,), alpha=10.0, max_iter=500)
    ours = _heldout_r2(ScratchMLPRegressor, X, y, **params)
    ref = _heldout_r2(MLPRegressor, X, y, **params)
    assert ours > 0.3
    assert abs(ours - ref) < 0.02


@pytest.mark.reference
def test_fitted_attributes_match_sklearn():
    X, y = _regression(n_targets=2)
    ours = ScratchMLPRegressor(max_iter=5, random_state=0).fit(X, y)
    ref = MLPRegressor(max_iter=5, random_state=0).fit(X, y)
    for name in ["n_layers_", "n_outputs_", "out_activation_", "n_iter_", "t_"]:
        assert getattr(ours, name) == getattr(ref, name)
    assert [c.shape for c in ours.coefs_] == [c.shape for c in ref.coefs_]
    assert len(ours.loss_curve_) == len(ref.loss_curve_) == 5
    assert ours.predict(X).shape == ref.predict(X).shape == (300, 2)
    shared = MLPRegressor().get_params()
    ours = ScratchMLPRegressor().get_params()
    assert {k: v for k, v in ours.items() if k in shared} == shared
    assert set(ours) - set(shared) == {
        "dropout",
        "l1_ratio",
        "init",
        "scoring",
        "max_grad_norm",
        "transform_layer",
        "huber_delta",
        "quantile",
        "learning_rate_schedule",
        "record_diagnostics",
    }
    poisson = ScratchMLPRegressor(loss="poisson", max_iter=3).fit(X, np.abs(y))
    assert poisson.out_activation_ == "exp"
    assert (poisson.predict(X) > 0).all()


def test_poisson_rejects_negative_targets():
    X, y = _regression()
    with pytest.raises(ValueError, match="negative which is not allowed for Poisson"):
        ScratchMLPRegressor(loss="poisson").fit(X, y)


def test_poisson_learns_counts():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(500, 3))
    counts = rng.poisson(np.exp(0.5 * X[:, 0] - 0.3 * X[:, 1] + 0.5))
    model = ScratchMLPRegressor(
        loss="poisson", solver="lbfgs", hidden_layer_sizes=(8,), random_state=0
    )
    model.fit(X, counts)
    true_mean = np.exp(0.5 * X[:, 0] - 0.3 * X[:, 1] + 0.5)
    assert np.corrcoef(model.predict(X), true_mean)[0, 1] > 0.9
    assert model.predict(X).mean() == pytest.approx(counts.mean(), rel=0.05)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept(dtype):
    X, y = _regression()
    model = ScratchMLPRegressor(max_iter=3, random_state=0).fit(X.astype(dtype), y)
    assert all(c.dtype == dtype for c in model.coefs_ + model.intercepts_)
    assert model.predict(X.astype(dtype)).dtype == dtype


@pytest.mark.parametrize("fmt", [sp.csr_matrix, sp.csc_matrix])
def test_sparse_input_matches_dense(fmt):
    X, y = _regression()
    X[np.abs(X) < 0.5] = 0.0
    dense = ScratchMLPRegressor(max_iter=5, random_state=0).fit(X, y)
    sparse = ScratchMLPRegressor(max_iter=5, random_state=0).fit(fmt(X), y)
    np.testing.assert_allclose(dense.predict(X), sparse.predict(fmt(X)), rtol=1e-9)


def test_partial_fit_continues_and_reduces_loss():
    X, y = _regression()
    model = ScratchMLPRegressor(learning_rate_init=0.01, random_state=0)
    losses = [model.partial_fit(X, y).loss_ for _ in range(20)]
    assert losses[-1] < 0.5 * losses[0]
    assert model.t_ == 20 * X.shape[0]
    assert not hasattr(ScratchMLPRegressor(solver="lbfgs"), "partial_fit")


def test_early_stopping_scores_r2():
    X, y = _regression()
    model = ScratchMLPRegressor(
        early_stopping=True, learning_rate_init=0.01, max_iter=50, random_state=0
    ).fit(X, y)
    assert len(model.validation_scores_) == model.n_iter_
    assert model.best_validation_score_ == max(model.validation_scores_)
    assert model.best_validation_score_ > 0.8


def test_pipeline_grid_search_and_transformed_target():
    X, y = make_regression(n_samples=200, n_features=5, noise=2.0, random_state=0)
    y = y + 1000.0  # far from zero: the target transformer has work to do
    pipe = make_pipeline(
        StandardScaler(), ScratchMLPRegressor(solver="lbfgs", random_state=0)
    )
    grid = GridSearchCV(
        pipe, {"scratchmlpregressor__hidden_layer_sizes": [(5,), (20,)]}, cv=3
    )
    wrapped = TransformedTargetRegressor(regressor=grid, transformer=StandardScaler())
    wrapped.fit(X, y)
    assert wrapped.score(X, y) > 0.95
    fitted_grid = wrapped.regressor_
    assert set(fitted_grid.best_params_) == {"scratchmlpregressor__hidden_layer_sizes"}


def test_pickle_round_trip_predicts_identically():
    X, y = _regression()
    model = ScratchMLPRegressor(max_iter=5, random_state=0).fit(X, y)
    clone = pickle.loads(pickle.dumps(model))
    assert np.array_equal(clone.predict(X), model.predict(X))
    model.partial_fit(X, y)
    clone.partial_fit(X, y)
    assert np.array_equal(clone.predict(X), model.predict(X))


def test_fit_does_not_mutate_inputs():
    X, y = _regression()
    sw = np.linspace(0.5, 2.0, X.shape[0])
    copies = X.copy(), y.copy(), sw.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ScratchMLPRegressor(max_iter=3).fit(X, y, sample_weight=sw).predict(X)
    for original, copy in zip((X, y, sw), copies, strict=True):
        assert np.array_equal(original, copy)
