"""Docstring sections shared by the classifier and the regressor."""

#: Where the documentation is published; the estimators' HTML representation
#: links to their API pages there.
DOCS_URL = "https://skscratch.readthedocs.io/en/latest"

#: The 23 hyper-parameters both estimators share with scikit-learn's MLPs.
SHARED_PARAMETERS = r"""
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        Number of units in each hidden layer, in order.

    activation : str or list of str, default='relu'
        Activation of the hidden layers: scikit-learn's 'identity'
        :math:`f(z) = z`, 'logistic' :math:`1 / (1 + e^{-z})`, 'tanh' and
        'relu' :math:`\max(0, z)`, or one added here: 'leaky_relu'
        :math:`\max(z, 0.01 z)`, 'elu' (:math:`e^z - 1` for :math:`z < 0`),
        'gelu' :math:`z \Phi(z)` and 'softplus' :math:`\log(1 + e^z)`. One
        name for every hidden layer, or a list with one name per hidden layer.
        A custom activation is a pair of callables ``(f, f_prime)`` or an
        object with methods ``forward`` and ``derivative``: ``f(Z)`` returns
        :math:`A = f(Z)` and ``f_prime(Z, A)`` returns :math:`f'(Z)`, both
        elementwise on read-only arrays of shape (n_samples, n_units), as new
        arrays of that shape (e.g. ``(np.tanh, lambda z, a: 1 - a**2)``).
        They are tried once before each fit and prediction; a wrong shape or
        a non-finite value raises a ValueError. Pickling needs module-level
        functions (not lambdas); ONNX export refuses custom activations.

    solver : {'lbfgs', 'sgd', 'adam', 'rmsprop', 'adamw'}, default='adam'
        Optimisation method: the quasi-Newton L-BFGS on the full data,
        mini-batch stochastic gradient descent, or Adam (Kingma and Ba). Adam
        suits datasets of thousands of samples or more; on small ones L-BFGS
        often converges faster and better. Added here: 'rmsprop' (decay rate
        ``beta_2``) and 'adamw', Adam with decoupled weight decay, which
        applies ``alpha`` as the decay rate of the weights at each step
        instead of an L2 term in the loss.

    alpha : float, default=0.0001
        Strength of the L2 penalty on the weights; the penalty is divided by
        the (weighted) number of samples when added to the loss.

    batch_size : int or 'auto', default='auto'
        Mini-batch size of the stochastic solvers; 'auto' means
        ``min(200, n_samples)``. L-BFGS always uses all samples.

    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Learning-rate schedule of the 'sgd' solver. 'constant' keeps
        ``learning_rate_init``; 'invscaling' uses
        ``learning_rate_init / pow(t, power_t)`` with ``t`` the samples seen;
        'adaptive' divides the rate by 5 whenever ``n_iter_no_change``
        consecutive epochs fail to improve the training loss (or the
        validation score, with early stopping) by ``tol``. A
        ``learning_rate_schedule`` multiplies this rate.

    learning_rate_init : float, default=0.001
        Initial step size of the stochastic solvers ('sgd', 'adam', 'rmsprop'
        and 'adamw'); 'lbfgs' does not use it.

    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule ('sgd' only).

    max_iter : int, default=200
        Maximum number of iterations: epochs (passes over the data) for the
        stochastic solvers, L-BFGS iterations for 'lbfgs'.

    shuffle : bool, default=True
        Whether to shuffle the samples before each epoch, for the stochastic
        solvers ('sgd', 'adam', 'rmsprop' and 'adamw').

    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation, the early-stopping split and the
        shuffling. Pass an int for reproducible results.

    tol : float, default=1e-4
        Training stops when the loss (or validation score) has not improved
        by at least ``tol`` for ``n_iter_no_change`` consecutive epochs,
        unless ``learning_rate='adaptive'``. For L-BFGS, the gradient
        tolerance.

    verbose : bool, default=False
        Whether to print a line per iteration to stdout.

    warm_start : bool, default=False
        When True, ``fit`` continues from the previous solution instead of
        starting afresh.

    momentum : float, default=0.9
        Momentum of the 'sgd' solver, in [0, 1].

    nesterovs_momentum : bool, default=True
        Whether 'sgd' uses Nesterov's momentum (when ``momentum > 0``).

    early_stopping : bool, default=False
        Whether to hold out ``validation_fraction`` of the training data
        (stratified for single-output classification) and stop when its
        score (accuracy for a classifier, :math:`R^2` for a regressor) has not
        improved by ``tol`` for ``n_iter_no_change`` epochs; the weights of
        the best epoch are restored. Stochastic solvers only.

    validation_fraction : float, default=0.1
        Fraction of the training data held out for early stopping.

    beta_1 : float, default=0.9
        Decay rate of Adam's first-moment estimate, in [0, 1).

    beta_2 : float, default=0.999
        Decay rate of Adam's second-moment estimate, in [0, 1).

    epsilon : float, default=1e-8
        Adam's numerical-stability constant.

    n_iter_no_change : int, default=10
        Number of epochs without an improvement of ``tol`` before stopping
        (stochastic solvers).

    max_fun : int, default=15000
        Maximum number of loss evaluations of the 'lbfgs' solver.
"""


#: Parameters beyond scikit-learn's MLPs, shared by both estimators. Each
#: default gives scikit-learn's behaviour.
EXTENSION_PARAMETERS = r"""
    dropout : float or list of float, default=0.0
        Inverted dropout during training: each hidden unit is zeroed with this
        probability in every mini-batch and the survivors are scaled by
        :math:`1 / (1 - p)`, so prediction (which uses every unit) needs no
        rescaling. One rate for all hidden layers, or one per hidden layer.
        Masks are drawn from ``random_state``. Stochastic solvers only.

    l1_ratio : float, default=0.0
        Elastic-net mixing of the penalty ``alpha`` on the weights (never the
        biases): :math:`\alpha (\rho \lVert W \rVert_1 + \frac{1 - \rho}{2}
        \lVert W \rVert_2^2) / n`. 0 is scikit-learn's L2 penalty; a high
        ratio drives weights of little use to zero, so the network becomes
        sparse (its subgradient is exact away from 0).

    init : {'glorot', 'he'}, default='glorot'
        Weight initialisation: scikit-learn's uniform Glorot bounds, or He's
        normal :math:`\mathcal{N}(0, 2 / \text{fan\_in})` with zero biases,
        suited to ReLU-like activations.

    scoring : str, callable or None, default=None
        Score recorded on the validation set after each epoch and used for
        early stopping: None is the estimator's ``score`` (accuracy or
        :math:`R^2`); a scorer name such as 'neg_log_loss', 'roc_auc' or
        'f1_macro'; or a callable ``scorer(estimator, X, y)``. Higher is better.

    max_grad_norm : float or None, default=None
        Clip each mini-batch gradient to this Euclidean norm over the whole
        network; None never clips.

    transform_layer : int, default=-1
        Hidden layer whose activations ``transform`` returns: an index among
        the hidden layers, from 0 (the first), negative ones counting from
        the last (-1, the default, is the last hidden layer). Checked against
        the fitted network when ``transform`` is called. Training ignores it.

    learning_rate_schedule : str, callable or None, default=None
        'cosine', 'warmup_cosine' or 'one_cycle', or a callable: a factor per
        epoch that multiplies the learning rate of every
        stochastic solver (see :mod:`skscratch._core.schedules` for the exact
        formulas). With :math:`T` = ``max_iter`` and epochs :math:`e = 0,
        \dots, T - 1`: 'cosine' is :math:`(1 + \cos(\pi e / T)) / 2`;
        'warmup_cosine' climbs linearly over the first :math:`W = \lceil T /
        10 \rceil` epochs, :math:`(e + 1) / (W + 1)`, then decays as a cosine
        over the rest; 'one_cycle' rises from 1/25 of the rate to all of it at
        epoch :math:`\lfloor 0.3 (T - 1) \rfloor`, then anneals to
        :math:`4 \times 10^{-6}` of it (PyTorch's ``OneCycleLR`` defaults). A
        callable ``schedule(epoch, max_iter)`` returns the factor, a finite
        number >= 0. The factor multiplies the rate the solver has at the
        time: for 'sgd' with ``learning_rate='invscaling'`` or 'adaptive', the
        product of that schedule and this one. Each ``fit`` (warm start
        included) runs the schedule from epoch 0; ``partial_fit`` continues the
        count, and past ``max_iter`` the built-in schedules keep their last
        factor. None keeps scikit-learn's behaviour; 'lbfgs' ignores it.

    record_diagnostics : bool, default=False
        Whether to record, after every epoch of a stochastic solver, per
        layer: the norm of the weights, the mean norm of their mini-batch
        gradients, the mean size of a step relative to the weights, the mean
        and standard deviation of the hidden layers' outputs and their
        fraction of dead rectified units, in ``diagnostics_`` (draw them with
        :class:`~skscratch.plotting.TrainingDiagnosticsDisplay`). Off, training
        does no extra work; on, each step measures a few vector norms and each
        epoch ends with a forward pass over (up to 2,000 rows of) the training
        data. 'lbfgs' refuses it.
"""


#: Fitted attributes both estimators share with scikit-learn's MLPs (and
#: validation_loss_curve_, which they add).
SHARED_ATTRIBUTES = r"""
    loss_ : float
        Loss at the end of training.

    best_loss_ : float or None
        Lowest training loss reached; None with early stopping.

    loss_curve_ : list of shape (`n_iter_`,)
        Loss after each iteration (L-BFGS included).

    validation_scores_ : list of shape (`n_iter_`,) or None
        Validation score after each epoch (accuracy or :math:`R^2`, or
        ``scoring``), recorded with early stopping or a validation set given to
        ``fit``; else None.

    validation_loss_curve_ : list of shape (`n_iter_`,) or None
        Loss on the validation set after each epoch, when there is one (an
        addition to scikit-learn's attributes); else None.

    best_validation_score_ : float or None
        Best validation score with early stopping, else None.

    t_ : int
        Number of training samples seen by the solver.

    coefs_ : list of shape (n_layers - 1,)
        ``coefs_[i]`` is the weight matrix from layer i to layer i + 1.

    intercepts_ : list of shape (n_layers - 1,)
        ``intercepts_[i]`` is the bias vector of layer i + 1.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during fit, when they are all strings.

    n_iter_ : int
        Number of iterations the solver ran.

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of outputs.

    learning_rate_curve_ : list of shape (n_epochs,)
        Learning rate each epoch of a stochastic solver used (before Adam's
        bias correction): ``learning_rate_init`` times the schedules, epoch
        by epoch alongside ``loss_curve_``; empty after 'lbfgs'.

    diagnostics_ : dict of ndarray
        Only with ``record_diagnostics=True``: one row per recorded epoch.
        'epoch' (n_epochs,) holds the epochs' numbers in ``loss_curve_``
        (from 1); 'weight_norm', 'grad_norm' and 'update_ratio'
        (n_epochs, n_layers - 1) hold, for each weight matrix, its Frobenius
        norm after the epoch, the mean over the epoch's steps of its
        gradient's norm (penalty included, before clipping), and the mean of
        :math:`\lVert \Delta W \rVert / \lVert W \rVert` per step;
        'activation_mean', 'activation_std' and 'dead_fraction'
        (n_epochs, n_layers - 2) hold, for each hidden layer on the training
        data (its first 2,000 rows) after the epoch, without dropout, the
        mean and standard
        deviation of its outputs and the fraction of its units never
        positive, NaN unless its activation is 'relu', 'leaky_relu', 'elu' or
        'gelu'. Warm starts and ``partial_fit`` append rows; a new fit starts
        afresh. Values are float64, as ``loss_curve_``.
"""


def fill_doc(cls):
    """Insert the shared parameter sections at their ``%(...)s`` marks.

    Parameters
    ----------
    cls : type
        Class whose docstring holds the mark.

    Returns
    -------
    cls : type
        The same class, docstring filled in.
    """
    doc = cls.__doc__.replace(
        "    %(shared_parameters)s\n", SHARED_PARAMETERS.strip("\n") + "\n"
    )
    doc = doc.replace(
        "    %(extension_parameters)s\n", EXTENSION_PARAMETERS.strip("\n") + "\n"
    )
    cls.__doc__ = doc.replace(
        "    %(shared_attributes)s\n", SHARED_ATTRIBUTES.strip("\n") + "\n"
    )
    return cls
