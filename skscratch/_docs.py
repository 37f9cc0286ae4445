"""Docstring sections shared by the classifier and the regressor."""

#: The 23 hyper-parameters both estimators share with scikit-learn's MLPs.
SHARED_PARAMETERS = r"""
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        Number of units in each hidden layer, in order.

    activation : {'identity', 'logistic', 'tanh', 'relu'}, default='relu'
        Activation of the hidden layers: the identity :math:`f(z) = z`, the
        logistic sigmoid :math:`1 / (1 + e^{-z})`, :math:`\tanh z`, or the
        rectified linear unit :math:`\max(0, z)`.

    solver : {'lbfgs', 'sgd', 'adam'}, default='adam'
        Optimisation method: the quasi-Newton L-BFGS on the full data,
        mini-batch stochastic gradient descent, or Adam (Kingma and Ba). Adam
        suits datasets of thousands of samples or more; on small ones L-BFGS
        often converges faster and better.

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
        validation score, with early stopping) by ``tol``.

    learning_rate_init : float, default=0.001
        Initial step size of the 'sgd' and 'adam' solvers.

    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule ('sgd' only).

    max_iter : int, default=200
        Maximum number of iterations: epochs (passes over the data) for the
        stochastic solvers, L-BFGS iterations for 'lbfgs'.

    shuffle : bool, default=True
        Whether to shuffle the samples before each epoch ('sgd' and 'adam').

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


def fill_doc(cls):
    """Insert :data:`SHARED_PARAMETERS` at the ``%(shared_parameters)s`` mark.

    Parameters
    ----------
    cls : type
        Class whose docstring holds the mark.

    Returns
    -------
    cls : type
        The same class, docstring filled in.
    """
    cls.__doc__ = cls.__doc__.replace(
        "    %(shared_parameters)s\n", SHARED_PARAMETERS.strip("\n") + "\n"
    )
    return cls
