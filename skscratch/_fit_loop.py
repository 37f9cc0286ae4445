"""The training run of one fit: fit -> epoch -> batch, and the L-BFGS driver."""

import time

import numpy as np
from sklearn.metrics import check_scoring, log_loss, make_scorer

from skscratch._core.arrays import ops_for
from skscratch._core.losses import evaluate_loss
from skscratch._core.network import Penalty, split_flat
from skscratch._core.optimizers import OPTIMIZERS, ClipGradientNorm
from skscratch._core.training import (
    Diverged,
    full_batch_loss,
    make_workspace,
    minimize_lbfgs,
    run_epoch,
)
from skscratch._diagnostics import check_solver, recorder_for
from skscratch._reporting import (
    copied_weights,
    print_epoch_details,
    print_iteration,
    print_validation_score,
    warn_diverged,
    warn_interrupted,
    warn_lbfgs,
    warn_max_iter,
)
from skscratch._schedule import EpochRates
from skscratch._smoothing import loss_targets
from skscratch._stopping import EarlyStopper
from skscratch._threads import (
    blas_thread_policy,
    single_threaded_scipy_blas,
    steered,
)
from skscratch._validation import batch_size, split_validation

#: Optimizer arguments that scikit-learn names otherwise; every other
#: argument has the name of the estimator parameter it comes from.
PARAMETER_OF_ARGUMENT = {
    "schedule": "learning_rate",
    "nesterov": "nesterovs_momentum",
    "rho": "beta_2",  # RMSprop's decay rate is Adam's second-moment decay
    "weight_decay": "alpha",  # decoupled decay replaces the L2 penalty
}


def on_device(net, Y, sample_weight):
    """Move the (NumPy) targets and weights to the network's namespace and device."""
    xp = ops_for(net.theta)
    if sample_weight is not None:
        sample_weight = xp.from_numpy(sample_weight, net.theta)
    return xp.from_numpy(Y, net.theta), sample_weight


def penalty(estimator):
    """Return the penalty in the loss; a decoupled decay replaces its L2 part."""
    solver = OPTIMIZERS.get(estimator.solver)
    decays = solver is not None and solver.decays_weights
    return Penalty(0.0 if decays else estimator.alpha, estimator.l1_ratio)


def make_optimizer(estimator, net):
    """Build the optimizer of the estimator's stochastic solver for ``net``."""
    solver = OPTIMIZERS[estimator.solver]
    params = estimator.get_params()
    facts = {"n_coef": net.n_coef}
    arguments = [
        facts[name] if name in facts else params[PARAMETER_OF_ARGUMENT.get(name, name)]
        for name in solver.arguments
    ]
    theta = net.theta
    return solver.build(theta.shape[0], theta.dtype, *arguments, like=theta)


def optimizer_for(estimator, net, incremental):
    """Return the optimizer a fit continues with, or a new one.

    ``partial_fit`` keeps the optimizer's state (moments, learning rate)
    unless the solver or the network's size changed; ``fit`` starts afresh.
    ``max_grad_norm`` wraps it for this fit only.
    """
    optimizer = getattr(estimator, "_optimizer", None)
    if (
        not incremental
        or optimizer is None
        or getattr(estimator, "_optimizer_solver", None) != estimator.solver
        or optimizer.n_params != net.theta.shape[0]
    ):
        optimizer = estimator._optimizer = make_optimizer(estimator, net)
        estimator._optimizer_solver = estimator.solver
    if estimator.max_grad_norm is None:
        return optimizer
    return ClipGradientNorm(optimizer, estimator.max_grad_norm)


def validation_scorer(estimator):
    """Build the ``scoring`` scorer once per fit (None: use ``score``)."""
    if estimator.scoring is None:
        return None
    if estimator.scoring == "neg_log_loss" and estimator._is_classifier():
        # Name every class, so that a validation set missing one scores.
        return make_scorer(
            log_loss,
            greater_is_better=False,
            response_method="predict_proba",
            labels=estimator._label_binarizer.classes_,
        )
    return check_scoring(estimator, scoring=estimator.scoring)


class StochasticRun:
    """One fit with a stochastic solver: epochs of mini-batch steps.

    Built by ``fit`` or ``partial_fit`` once the data are validated; it
    owns what the epochs share (the optimizer, the batches' buffers, the
    stopper) and writes the fitted record (``n_iter_``, ``loss_curve_``...)
    as it goes.

    Parameters
    ----------
    estimator : BaseScratchMLP
        The estimator being fitted.
    net : Network
        Its network, trained in place.
    X, Y, sample_weight : arrays
        Training data in the network's dtype; ``Y`` is the target matrix.
    incremental : bool
        True for ``partial_fit``: one epoch, the optimizer's state kept.
    val : ValidationSet or None
        A validation set given to ``fit``.
    tasks : FitTasks
        The fit's callback hooks.
    """

    def __init__(self, estimator, net, X, Y, sample_weight, incremental, val, tasks):
        est = self.est = estimator
        if est.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        self.net, self.tasks, self.incremental = net, tasks, incremental
        self.optimizer = optimizer_for(est, net, incremental)
        X, Y, sample_weight, val = split_validation(est, X, Y, sample_weight, val)
        Y, sample_weight = on_device(net, loss_targets(est, Y), sample_weight)
        self.X, self.Y, self.sample_weight = X, Y, sample_weight
        self.diagnostics = recorder_for(est, net, X)
        if self.diagnostics is not None:
            self.optimizer = self.diagnostics.watch(self.optimizer)
        self.val = self._prepare_validation(val)
        self.n_samples = X.shape[0]
        self.batch_size = batch_size(est.batch_size, self.n_samples)
        rng = None
        if net.has_dropout:
            rng = np.random.default_rng(
                est._random_state.randint(np.iinfo(np.int32).max)
            )
        self.ws = make_workspace(net, X, self.batch_size, est.shuffle, rng)
        self.order = np.arange(self.n_samples)
        self.epoch_start = ops_for(net.theta).copy(net.theta)
        self.threads = None  # the BLAS thread policy, set by run
        self.stopper = EarlyStopper(est, net.theta)
        self.penalty = penalty(est)
        self.rates = EpochRates(est, incremental)

    def _prepare_validation(self, val):
        """Cast the validation set, attach its scorer and start its curves."""
        if val is None:
            return None
        est = self.est
        val = val.astype(self.net.theta.dtype)
        val.Y = loss_targets(est, val.Y)
        val.scorer = validation_scorer(est)
        if est.validation_scores_ is None:
            est.validation_scores_ = []
        est.validation_loss_curve_ = []
        return val

    def run(self):
        """Train epoch after epoch until a stop, then keep the best weights."""
        est = self.est
        est.n_iter_ = 0
        net, rows = self.net, (self.batch_size, self.n_samples % self.batch_size)
        rows = [r for r in rows if r]  # the full batches', the last one's
        self.threads = blas_thread_policy(net.layer_units, rows, net.theta.dtype)
        try:
            for _ in range(est.max_iter):
                ops_for(self.net.theta).copyto(self.epoch_start, self.net.theta)
                if self.epoch() or self.incremental:
                    break
                if est.n_iter_ == est.max_iter:
                    warn_max_iter(est.max_iter)
        except KeyboardInterrupt:
            ops_for(self.net.theta).copyto(self.net.theta, self.epoch_start)
            warn_interrupted()
        self.stopper.restore_best(self.net.theta)
        if self.diagnostics is not None:
            self.diagnostics.store()

    def epoch(self):
        """Run one epoch and its reports; return True to stop training."""
        est = self.est
        step = self.tasks.begin_step("epoch")
        started = time.perf_counter()
        if est.shuffle:
            self.order = self.order[est._random_state.permutation(self.n_samples)]
        if self.diagnostics is not None:
            self.diagnostics.begin_epoch()
        try:
            with self.rates.applied(self.optimizer), steered(self.threads) as hook:
                loss = run_epoch(
                    self.net,
                    self.optimizer,
                    self.X,
                    self.Y,
                    self.sample_weight,
                    self.penalty,
                    self.batch_size,
                    self.order if est.shuffle else None,
                    self.ws,
                    hook,
                )
        except Diverged as exc:
            if not self.stopper.has_best():
                raise  # nothing worth keeping: the fit fails and is undone
            loss, stop = self.end_diverged(exc), True
        else:
            stop = self.end_epoch(loss)
        validation = None
        if self.val is not None:
            validation = (est.validation_loss_curve_[-1], est.validation_scores_[-1])
        seconds = time.perf_counter() - started
        scheduled = est.learning_rate_schedule is not None
        rate = self.rates.rate if scheduled else self.optimizer.learning_rate
        print_epoch_details(est.verbose, rate, seconds, validation)
        weights = lambda: copied_weights(est.coefs_, est.intercepts_)  # noqa: E731
        return self.tasks.end_step(step, weights) or stop

    def end_epoch(self, loss):
        """Record an epoch, consult the stopper; return True to stop."""
        est = self.est
        est.n_iter_ += 1
        est.t_ += self.n_samples
        est.loss_ = loss
        est.loss_curve_.append(loss)
        self.rates.record()
        if est.verbose:
            print_iteration(est.n_iter_, loss)
        if self.val is not None:
            self.record_validation()
        if self.diagnostics is not None:
            self.diagnostics.end_epoch()
        stalled = self.stopper.update(self.net.theta, loss)
        self.optimizer.end_epoch(est.t_)
        return stalled and self.on_plateau()

    def end_diverged(self, exc):
        """Record an epoch cut short by a non-finite loss; return its loss.

        Only with early stopping: as in scikit-learn, the fit then ends on
        the best epoch's weights, and the epoch's validation score is NaN.
        """
        est = self.est
        est.n_iter_ += 1
        est.t_ += self.n_samples
        est.loss_ = np.float64(np.nan)
        est.loss_curve_.append(est.loss_)
        self.rates.record()
        est.validation_scores_.append(np.nan)
        est.validation_loss_curve_.append(np.nan)
        if est.verbose:
            print_iteration(est.n_iter_, est.loss_)
            print_validation_score(np.nan)
        warn_diverged(
            est.n_iter_, exc, est.best_validation_score_, est.learning_rate_init
        )
        return est.loss_

    def on_plateau(self):
        """Let the schedule react to stalled training; return True to stop."""
        est, message = self.est, self.stopper.message()
        if self.optimizer.on_plateau():
            if est.verbose:
                rate = self.optimizer.learning_rate
                print(f"{message} Setting learning rate to {rate:f}")
            self.stopper.restart()
            return False
        if est.verbose:
            scheduled = "schedule" in OPTIMIZERS[est.solver].arguments
            adaptive = scheduled and est.learning_rate == "adaptive"
            too_small = " Learning rate too small." if adaptive else ""
            print(f"{message}{too_small} Stopping.")
        return True

    def record_validation(self):
        """Append this epoch's validation score and loss to their curves."""
        est, val = self.est, self.val
        logits = ops_for(val.X).to_numpy(est._raw_predict(val.X))  # to the host
        if not np.isfinite(logits).all():
            score, loss = np.nan, np.nan
        else:
            net = self.net
            loss = evaluate_loss(
                net.output, logits.copy(), val.Y, val.sample_weight, net.output_param
            )
            if est.scoring is None:
                score = float(est._score_raw(logits, val.y, val.sample_weight))
            else:
                kwargs = {}
                if val.sample_weight is not None:
                    kwargs["sample_weight"] = val.sample_weight
                score = float(val.scorer(est, val.X, val.y, **kwargs))
        est.validation_scores_.append(score)
        est.validation_loss_curve_.append(loss)
        if est.verbose:
            print_validation_score(score)


class LbfgsRecorder:
    """Record L-BFGS iterations: the loss curve, the last iterate, the hooks.

    SciPy calls it after every iteration with its ``intermediate_result``.

    Parameters
    ----------
    estimator : BaseScratchMLP
        The estimator being fitted; its ``loss_curve_`` is filled in.
    net : Network
        The network being trained.
    tasks : FitTasks
        The fit's callback hooks: one step per iteration.
    """

    def __init__(self, estimator, net, tasks):
        self.est, self.net, self.tasks = estimator, net, tasks
        self.last_x = ops_for(net.theta).to_numpy(net.theta).astype(np.float64)
        self.step = tasks.begin_step("lbfgs-iter")

    def __call__(self, intermediate_result):
        """Record one completed iteration and open the next step."""
        est = self.est
        self.last_x = intermediate_result.x.copy()
        est.loss_curve_.append(np.float64(intermediate_result.fun))
        self.tasks.end_step(self.step, lambda: self.weights_of(self.last_x))
        self.step = self.tasks.begin_step("lbfgs-iter")
        if est.verbose:
            print_iteration(len(est.loss_curve_), est.loss_curve_[-1])

    def weights_of(self, x):
        """Return per-layer copies of the weights in the flat vector ``x``."""
        theta = self.net.theta
        theta = ops_for(theta).from_numpy(np.array(x), theta)
        coefs, intercepts = split_flat(theta, self.net.layer_units)
        return {"coefs_": coefs, "intercepts_": intercepts}


def run_lbfgs(estimator, net, X, Y, sample_weight, tasks):
    """Train on the full batch with L-BFGS, recording the loss per iteration."""
    est = estimator
    check_solver(est)
    if net.has_dropout:
        others = ", ".join(repr(name) for name in OPTIMIZERS if name != "adam")
        raise ValueError(
            "dropout needs a stochastic solver: with solver='lbfgs' the loss "
            "must be a deterministic function of the weights. Use "
            f"solver='adam' (or {others}), or dropout=0."
        )
    est.loss_curve_ = []
    Y, sample_weight = on_device(net, loss_targets(est, Y), sample_weight)
    recorder = LbfgsRecorder(est, net, tasks)
    loss_penalty = penalty(est)
    threads = blas_thread_policy(net.layer_units, [X.shape[0]], net.theta.dtype)
    try:
        with single_threaded_scipy_blas(), steered(threads) as hook:
            result = minimize_lbfgs(
                net,
                X,
                Y,
                sample_weight,
                loss_penalty,
                est.max_iter,
                est.max_fun,
                est.tol,
                callback=recorder,
                before_eval=hook,
            )
    except KeyboardInterrupt:
        _keep_last_iterate(est, recorder, X, Y, sample_weight, loss_penalty)
        return
    tasks.abandon_step(recorder.step)  # the unused last one
    est.n_iter_ = min(result.nit, est.max_iter)
    est.loss_ = np.float64(result.fun)
    if not np.isfinite(est.loss_):  # scikit-learn keeps such a model silently
        raise Diverged(f"non-finite loss {est.loss_} where L-BFGS stopped")
    est.best_loss_ = min([est.loss_, *est.loss_curve_])
    if result.status != 0:
        warn_lbfgs(result, est.n_iter_, est.max_iter)


def _keep_last_iterate(estimator, recorder, X, Y, sample_weight, penalty):
    """After an interrupt, keep the last completed iteration, not a trial point."""
    est, net = estimator, recorder.net
    recorder.tasks.abandon_step(recorder.step)
    xp = ops_for(net.theta)
    xp.copyto(net.theta, xp.from_numpy(recorder.last_x, net.theta))
    est.n_iter_ = len(est.loss_curve_)
    est.loss_ = (
        est.loss_curve_[-1]
        if est.loss_curve_
        else full_batch_loss(net, X, Y, sample_weight, penalty)
    )
    est.best_loss_ = min([est.loss_, *est.loss_curve_])
    warn_interrupted()
