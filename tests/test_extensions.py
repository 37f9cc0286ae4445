"""The options beyond scikit-learn's MLPs: each does what it claims."""

import itertools
import warnings

import numpy as np
import pytest
import sklearn
from sklearn.base import clone
from sklearn.datasets import (
    load_digits,
    make_classification,
    make_multilabel_classification,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import f1_score, log_loss, recall_score
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.preprocessing import StandardScaler

from skscratch import ScratchMLPClassifier, ScratchMLPRegressor, check_gradients
from skscratch._core.activations import ACTIVATIONS

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _digits(n=600):
    X, y = load_digits(return_X_y=True)
    return X[:n] / 16.0, y[:n]


def _imbalanced(seed=0):
    X, y = make_classification(
        n_samples=1200,
        n_features=10,
        n_informative=4,
        weights=[0.93, 0.07],
        flip_y=0.02,
        class_sep=0.6,
        random_state=seed,
    )
    return train_test_split(X, y, test_size=0.5, stratify=y, random_state=seed)


# --------------------------------------------------------------- class_weight


def test_balanced_class_weight_raises_minority_recall():
    X_tr, X_te, y_tr, y_te = _imbalanced()
    params = {"hidden_layer_sizes": (16,), "max_iter": 300, "random_state": 0}
    plain = ScratchMLPClassifier(**params).fit(X_tr, y_tr)
    balanced = ScratchMLPClassifier(class_weight="balanced", **params).fit(X_tr, y_tr)
    recall_plain = recall_score(y_te, plain.predict(X_te))
    recall_balanced = recall_score(y_te, balanced.predict(X_te))
    assert recall_balanced > recall_plain + 0.15


def test_class_weight_multiplies_sample_weight():
    X, y = _digits(300)
    sw = np.linspace(0.5, 2.0, len(y))
    weights = {c: 1.0 + c / 10 for c in range(10)}
    params = {"hidden_layer_sizes": (8,), "max_iter": 5, "random_state": 0}
    by_class = ScratchMLPClassifier(class_weight=weights, **params)
    by_class.fit(X, y, sample_weight=sw)
    by_sample = ScratchMLPClassifier(**params)
    by_sample.fit(X, y, sample_weight=sw * np.array([weights[c] for c in y]))
    for a, b in zip(by_class.coefs_, by_sample.coefs_, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10)


def test_balanced_counts_sample_weight_like_repeated_rows():
    X, y = _digits(200)
    sw = np.random.RandomState(0).randint(1, 4, size=len(y))
    params = {"class_weight": "balanced", "solver": "lbfgs", "max_iter": 20}
    weighted = ScratchMLPClassifier(random_state=0, **params)
    weighted.fit(X, y, sample_weight=sw)
    repeated = ScratchMLPClassifier(random_state=0, **params)
    repeated.fit(X.repeat(sw, axis=0), y.repeat(sw))
    np.testing.assert_allclose(
        weighted.predict_proba(X), repeated.predict_proba(X), rtol=1e-6, atol=1e-9
    )


def test_balanced_class_weight_and_partial_fit():
    X, y = _digits(200)
    clf = ScratchMLPClassifier(class_weight="balanced")
    assert not hasattr(clf, "partial_fit")
    with pytest.raises(AttributeError) as raised:
        clf.partial_fit(X, y, classes=np.arange(10))
    assert "compute_class_weight('balanced'" in str(raised.value.__cause__)
    with_dict = ScratchMLPClassifier(class_weight={0: 5.0}, random_state=0)
    with_dict.partial_fit(X, y, classes=np.arange(10))
    with_dict.partial_fit(X, y)
    assert with_dict.t_ == 2 * len(y)


def test_class_weight_weighs_the_validation_score():
    X, y = _digits(400)
    clf = ScratchMLPClassifier(
        class_weight={0: 10.0}, max_iter=3, random_state=0, hidden_layer_sizes=(8,)
    )
    X_val, y_val = X[:100], y[:100]
    clf.fit(X[100:], y[100:], X_val=X_val, y_val=y_val)
    weights = np.where(y_val == 0, 10.0, 1.0)
    pred = clf.predict(X_val)
    expected = np.average(pred == y_val, weights=weights)
    assert clf.validation_scores_[-1] == pytest.approx(expected)


# -------------------------------------------------------------------- dropout


def test_dropout_narrows_the_gap_between_train_and_test():
    # 150 noisy samples, 40 features, two layers of 256 units: without dropout
    # the net memorises the training set (100%) and generalises poorly.
    X, y = make_classification(
        n_samples=300, n_features=40, n_informative=5, flip_y=0.2, random_state=0
    )
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.5, random_state=0)
    params = {"hidden_layer_sizes": (256, 256), "max_iter": 150, "random_state": 0}
    gaps, test_scores = {}, {}
    for rate in (0.0, 0.8):
        clf = ScratchMLPClassifier(dropout=rate, **params).fit(X_tr, y_tr)
        test_scores[rate] = clf.score(X_te, y_te)
        gaps[rate] = clf.score(X_tr, y_tr) - test_scores[rate]
        gaps[rate, "log-loss"] = log_loss(y_te, clf.predict_proba(X_te)) - log_loss(
            y_tr, clf.predict_proba(X_tr)
        )
    assert gaps[0.0] > 0.25
    assert gaps[0.8] < gaps[0.0] - 0.15
    assert gaps[0.8, "log-loss"] < gaps[0.0, "log-loss"] / 3
    assert test_scores[0.8] > test_scores[0.0]


def test_dropout_is_reproducible_and_prediction_deterministic():
    X, y = _digits(300)
    params = {"dropout": [0.3, 0.1], "hidden_layer_sizes": (16, 8), "max_iter": 5}
    a = ScratchMLPClassifier(random_state=3, **params).fit(X, y)
    b = ScratchMLPClassifier(random_state=3, **params).fit(X, y)
    c = ScratchMLPClassifier(random_state=4, **params).fit(X, y)
    for wa, wb in zip(a.coefs_, b.coefs_, strict=True):
        assert np.array_equal(wa, wb)
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])
    assert np.array_equal(a.predict_proba(X), a.predict_proba(X))
    # without dropout the same seed trains differently: the masks matter
    d = ScratchMLPClassifier(random_state=3, hidden_layer_sizes=(16, 8), max_iter=5)
    assert not np.array_equal(a.coefs_[0], d.fit(X, y).coefs_[0])


@pytest.mark.parametrize(
    "params, match",
    [
        ({"dropout": 0.2, "solver": "lbfgs"}, "stochastic solver"),
        ({"dropout": [0.2, 0.2], "hidden_layer_sizes": (5,)}, "per hidden layer"),
        ({"dropout": [1.0]}, "per hidden layer"),
        ({"activation": ["relu", "tanh"]}, "one of them per hidden layer"),
        ({"activation": ["swish"]}, "one of them per hidden layer"),
    ],
)
def test_invalid_extension_values(params, match):
    X, y = _digits(100)
    with pytest.raises(ValueError, match=match):
        ScratchMLPClassifier(max_iter=2, **params).fit(X, y)


# ------------------------------------------------------------------- l1_ratio


def test_high_l1_ratio_makes_first_layer_sparse():
    X, y = _digits(600)
    params = {"alpha": 0.5, "max_iter": 150, "random_state": 0, "solver": "adam"}
    fractions = {}
    for ratio in (0.0, 0.9):
        clf = ScratchMLPClassifier(l1_ratio=ratio, **params).fit(X, y)
        fractions[ratio] = np.mean(np.abs(clf.coefs_[0]) < 1e-3)
        assert clf.score(X, y) > 0.8
    assert fractions[0.9] > 0.5
    assert fractions[0.9] > fractions[0.0] + 0.3


# --------------------------------------------- activations, solvers, init, norm


def _digits_score(**params):
    X, y = _digits(600)
    clf = ScratchMLPClassifier(**{"max_iter": 60, "random_state": 0, **params})
    return clf.fit(X[:400], y[:400]).score(X[400:], y[400:])


@pytest.mark.parametrize("activation", ["leaky_relu", "elu", "gelu", "softplus"])
def test_new_activations_learn(activation):
    # as well as ReLU does on the same split (chance is 0.1)
    assert _digits_score(activation=activation) > _digits_score() - 0.07


def test_activation_per_layer():
    X, y = _digits(300)
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(16, 8), activation=["gelu", "tanh"], max_iter=3
    ).fit(X, y)
    assert clf.predict_proba(X).shape == (300, 10)


@pytest.mark.parametrize("solver", ["rmsprop", "adamw"])
def test_new_solvers_learn_continue_and_partial_fit(solver):
    X, y = _digits(600)
    clf = ScratchMLPClassifier(solver=solver, max_iter=40, random_state=0)
    assert clf.fit(X[:400], y[:400]).score(X[400:], y[400:]) > (
        _digits_score(max_iter=40) - 0.05
    )
    first, epochs = clf.loss_curve_[0], len(clf.loss_curve_)
    clf.set_params(warm_start=True, max_iter=5).fit(X[:400], y[:400])
    assert len(clf.loss_curve_) == epochs + 5  # the record goes on, as in sklearn
    assert clf.loss_curve_[epochs] < first / 2
    stream = ScratchMLPClassifier(
        solver=solver, learning_rate_init=0.01, random_state=0
    )
    losses = [stream.partial_fit(X, y, classes=np.arange(10)).loss_ for _ in range(8)]
    assert losses[-1] < 0.5 * losses[0]


def test_adamw_decays_weights_without_penalising_the_loss():
    X, y = _digits(300)
    params = {"solver": "adamw", "max_iter": 30, "random_state": 0}
    light = ScratchMLPClassifier(alpha=0.0, **params).fit(X, y)
    heavy = ScratchMLPClassifier(alpha=10.0, **params).fit(X, y)
    # 60 steps, each shrinking the weights by (1 - 0.001 * 10)
    assert np.linalg.norm(heavy.coefs_[0]) < 0.7 * np.linalg.norm(light.coefs_[0])
    # the penalty is not part of the reported (training) loss for adamw: the
    # loss of the decayed model is plain log-loss
    expected = log_loss(y, heavy.predict_proba(X))
    assert heavy.loss_curve_[-1] == pytest.approx(expected, rel=0.2)


def test_he_initialisation():
    X, y = _digits(300)
    clf = ScratchMLPClassifier(init="he", hidden_layer_sizes=(200,), max_iter=1)
    clf.set_params(learning_rate_init=1e-12, random_state=0).fit(X, y)
    assert np.std(clf.coefs_[0]) == pytest.approx(np.sqrt(2 / 64), rel=0.05)
    assert np.std(clf.coefs_[1]) == pytest.approx(np.sqrt(2 / 200), rel=0.1)
    assert np.abs(clf.intercepts_[0]).max() < 1e-9


def test_max_grad_norm_bounds_every_step():
    X, y = _digits(400)
    params = {"solver": "sgd", "momentum": 0.0, "learning_rate_init": 1.0}
    params.update(max_iter=1, batch_size=100, shuffle=False, alpha=0.0)
    start = ScratchMLPClassifier(max_iter=1, random_state=0, learning_rate_init=1e-12)
    start.fit(X, y)
    clipped = clone(start).set_params(max_grad_norm=1e-3, **params).fit(X, y)
    moved = np.sqrt(
        sum(
            np.sum((a - b) ** 2)
            for a, b in zip(
                clipped.coefs_ + clipped.intercepts_,
                start.coefs_ + start.intercepts_,
                strict=True,
            )
        )
    )
    assert 0 < moved <= 4 * 1e-3 + 1e-12  # 4 batches, each step at most lr * c
    free = clone(start).set_params(**params).fit(X, y)
    assert not np.allclose(free.coefs_[0], clipped.coefs_[0], atol=1e-3)


# --------------------------------------------------- scoring and validation set


def test_early_stopping_on_a_scorer_name():
    X, y = _digits(600)
    clf = ScratchMLPClassifier(
        early_stopping=True, scoring="neg_log_loss", max_iter=30, random_state=0
    ).fit(X, y)
    scores = np.array(clf.validation_scores_)
    assert (scores < 0).all()
    assert clf.best_validation_score_ == scores.max()
    assert len(clf.validation_loss_curve_) == clf.n_iter_
    # the validation loss is the (positive) log-loss the scorer negates
    np.testing.assert_allclose(scores, -np.array(clf.validation_loss_curve_), rtol=1e-6)


def test_callable_scoring_sees_the_validation_set():
    X, y = _digits(400)
    seen = []

    def scorer(estimator, X_val, y_val):
        seen.append(len(y_val))
        return f1_score(y_val, estimator.predict(X_val), average="macro")

    clf = ScratchMLPClassifier(scoring=scorer, max_iter=4, random_state=0)
    clf.fit(X[:300], y[:300], X_val=X[300:], y_val=y[300:])
    assert seen == [100] * 4
    assert len(clf.validation_scores_) == 4
    assert clf.validation_scores_[-1] == pytest.approx(
        f1_score(y[300:], clf.predict(X[300:]), average="macro")
    )


def test_user_validation_set_replaces_the_split():
    X, y = _digits(500)
    clf = ScratchMLPClassifier(early_stopping=True, max_iter=6, random_state=0)
    clf.fit(X[:400], y[:400], X_val=X[400:], y_val=y[400:])
    assert clf.t_ == 400 * clf.n_iter_  # no row held out of training
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert len(clf.validation_loss_curve_) == clf.n_iter_
    with pytest.raises(ValueError, match="together"):
        ScratchMLPClassifier().fit(X, y, X_val=X)
    with pytest.raises(ValueError, match="stochastic solvers"):
        ScratchMLPClassifier(solver="lbfgs").fit(X, y, X_val=X, y_val=y)


def test_validation_set_routed_through_grid_search():
    X, y = _digits(400)
    with sklearn.config_context(enable_metadata_routing=True):
        clf = ScratchMLPClassifier(max_iter=3, random_state=0).set_fit_request(
            X_val=True, y_val=True
        )
        grid = GridSearchCV(clf, {"alpha": [1e-4, 1e-2]}, cv=2)
        grid.fit(X[:300], y[:300], X_val=X[300:], y_val=y[300:])
    assert len(grid.best_estimator_.validation_scores_) == 3


def test_regressor_extensions():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 5))
    y = X @ rng.normal(size=5) + 0.1 * rng.normal(size=400)
    reg = ScratchMLPRegressor(
        activation="gelu",
        solver="adamw",
        dropout=0.1,
        l1_ratio=0.2,
        init="he",
        max_grad_norm=10.0,
        scoring="neg_mean_absolute_error",
        early_stopping=True,
        learning_rate_init=0.01,
        max_iter=80,
        random_state=0,
    ).fit(X, y)
    assert reg.score(X, y) > 0.9
    assert all(score < 0 for score in reg.validation_scores_)


# ---------------------------------------------------------- multilabel streams


def test_multilabel_partial_fit_matches_fit():
    X, Y = make_multilabel_classification(
        n_samples=400, n_features=20, n_classes=5, random_state=0
    )
    X = StandardScaler().fit_transform(X)
    params = {"hidden_layer_sizes": (32,), "random_state": 0, "shuffle": False}
    params["learning_rate_init"] = 0.01
    fitted = ScratchMLPClassifier(max_iter=30, tol=0.0, **params).fit(X, Y)
    streamed = ScratchMLPClassifier(**params)
    for _ in range(30):
        streamed.partial_fit(X, Y)
    assert fitted.n_iter_ == 30
    # label-wise accuracy well above always predicting the majority label
    majority = np.mean(Y == (Y.mean(axis=0) > 0.5))
    assert np.mean(streamed.predict(X) == Y) > majority + 0.1
    assert streamed.score(X, Y) >= fitted.score(X, Y) - 0.02
    np.testing.assert_allclose(streamed.loss_, fitted.loss_curve_[-1], rtol=1e-8)


# ------------------------------------------------------------ lbfgs reporting


def test_lbfgs_prints_a_line_per_iteration(capsys):
    X, y = _digits(200)
    clf = ScratchMLPClassifier(solver="lbfgs", max_iter=7, verbose=True)
    clf.fit(X, y)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == len(clf.loss_curve_) == clf.n_iter_ == 7
    assert lines[0] == f"Iteration 1, loss = {clf.loss_curve_[0]:.8f}"


# -------------------------------------------------------------- gradient check

OUTPUTS = {
    "multiclass": (ScratchMLPClassifier, lambda rng: rng.randint(3, size=12)),
    "binary": (ScratchMLPClassifier, lambda rng: rng.randint(2, size=12)),
    "multilabel": (ScratchMLPClassifier, lambda rng: rng.randint(2, size=(12, 3))),
    "squared": (ScratchMLPRegressor, lambda rng: rng.normal(size=(12, 2))),
    "poisson": (ScratchMLPRegressor, lambda rng: rng.poisson(2.0, size=12)),
}
REGULARISERS = {
    "l2": {"alpha": 0.3},
    "elastic": {"alpha": 0.3, "l1_ratio": 0.5},
    "dropout": {"alpha": 0.01, "dropout": 0.3},
}


@pytest.mark.parametrize(
    "activation, output, regulariser",
    list(itertools.product(sorted(ACTIVATIONS), OUTPUTS, REGULARISERS)),
)
def test_check_gradients_every_combination(activation, output, regulariser):
    cls, target = OUTPUTS[output]
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(12, 4)), target(rng)
    params = {"hidden_layer_sizes": (5, 3), "activation": activation, "random_state": 0}
    if output == "poisson":
        params["loss"] = "poisson"
    est = cls(**params, **REGULARISERS[regulariser])
    sw = rng.uniform(0.5, 2.0, size=12)
    errors = check_gradients(est, X, y, sample_weight=sw)
    assert errors.shape == (3,)
    assert errors.max() < 1e-6
    assert not hasattr(est, "coefs_")  # the estimator itself is left unfitted


def test_check_gradients_on_a_fitted_model_finds_a_broken_gradient(monkeypatch):
    X, y = _digits(60)
    clf = ScratchMLPClassifier(hidden_layer_sizes=(6,), max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    before = [c.copy() for c in clf.coefs_]
    assert check_gradients(clf, X, y).max() < 1e-6
    assert all(np.array_equal(a, b) for a, b in zip(before, clf.coefs_, strict=True))
    # a wrong derivative is caught, in the layers it feeds
    forward, _ = ACTIVATIONS["relu"]
    monkeypatch.setitem(
        ACTIVATIONS, "relu", (forward, lambda A, delta, work: delta.__imul__(2.0))
    )
    errors = check_gradients(clf, X, y)
    assert errors[0] > 0.1
