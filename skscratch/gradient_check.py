"""Check back-propagation against finite differences, for learners and tests."""

import numpy as np
from sklearn.base import clone

from skscratch._core.network import (
    Network,
    Workspace,
    layer_offsets,
    loss_and_gradient,
)


def check_gradients(estimator, X, y, *, sample_weight=None, epsilon=1e-6):
    r"""Compare an estimator's analytic gradient with central finite differences.

    For every parameter :math:`\theta_k` of the network, the derivative of the
    training loss :math:`J` (penalty included) is estimated by

    .. math:: \frac{\partial J}{\partial \theta_k} \approx
              \frac{J(\theta + h e_k) - J(\theta - h e_k)}{2 h}

    and compared with what back-propagation computes. Per layer, the result
    is the relative error

    .. math:: \frac{\lVert g_{\text{backprop}} - g_{\text{numeric}} \rVert}
              {\lVert g_{\text{backprop}} \rVert + \lVert g_{\text{numeric}} \rVert}

    over that layer's weights and biases. In float64, correct gradients give
    errors around :math:`10^{-8}` or below; a mistake gives errors near 1.

    A fitted estimator is checked at its current weights, an unfitted one at
    the weights its ``fit`` would start from; the estimator itself is never
    changed. Custom activations and label smoothing are checked as they
    train: a ``f_prime`` that is not the derivative of ``f`` shows as an
    error near 1 in the layers below it. With dropout, one set of masks is
    drawn and kept for every evaluation, so the loss is a deterministic
    function of the weights. The
    check costs two forward passes per parameter: use a small network and a
    few samples.

    Parameters
    ----------
    estimator : ScratchMLPClassifier or ScratchMLPRegressor
        The estimator whose gradient to check.
    X : array-like of shape (n_samples, n_features)
        Input data.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Targets.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the samples (class weights are folded in as ``fit`` does).
    epsilon : float, default=1e-6
        Step :math:`h` of the finite differences.

    Returns
    -------
    errors : ndarray of shape (n_layers - 1,)
        Relative error of each layer's gradient.

    Examples
    --------
    >>> import numpy as np
    >>> from skscratch import ScratchMLPClassifier, check_gradients
    >>> rng = np.random.RandomState(0)
    >>> X, y = rng.normal(size=(20, 3)), rng.randint(3, size=20)
    >>> clf = ScratchMLPClassifier(hidden_layer_sizes=(4,), activation="tanh")
    >>> errors = check_gradients(clf, X, y)
    >>> errors.shape, bool(errors.max() < 1e-6)
    ((2,), True)
    """
    est = estimator if hasattr(estimator, "coefs_") else clone(estimator)
    fitted, X, Y, sw, penalty = est._training_problem(X, y, sample_weight)
    net = Network(
        fitted.layer_units,
        fitted.activations,
        fitted.output,
        fitted.theta.astype(np.float64),
        fitted.dropout,
        fitted.output_param,
    )
    X, Y = X.astype(np.float64), Y.astype(np.float64)
    sw = None if sw is None else sw.astype(np.float64)
    rng = np.random.default_rng(0) if net.has_dropout else None
    ws = Workspace(net, X.shape[0], rng=rng)

    loss_and_gradient(net, X, Y, sw, penalty, ws, draw_masks=True, report=False)
    analytic = ws.grad.copy()
    numeric = np.empty_like(analytic)
    theta = net.theta
    for k in range(theta.size):
        saved = theta[k]
        theta[k] = saved + epsilon
        up = loss_and_gradient(
            net, X, Y, sw, penalty, ws, draw_masks=False, report=False
        )
        theta[k] = saved - epsilon
        down = loss_and_gradient(
            net, X, Y, sw, penalty, ws, draw_masks=False, report=False
        )
        theta[k] = saved
        numeric[k] = (up - down) / (2 * epsilon)
    return _relative_errors(analytic, numeric, net.layer_units)


def _relative_errors(analytic, numeric, layer_units):
    """Relative error of each layer, over its weights and its biases."""
    coef_spans, intercept_spans, _, _ = layer_offsets(layer_units)
    errors = []
    for (a, b, _), (c, d) in zip(coef_spans, intercept_spans, strict=True):
        g = np.concatenate([analytic[a:b], analytic[c:d]])
        n = np.concatenate([numeric[a:b], numeric[c:d]])
        scale = np.linalg.norm(g) + np.linalg.norm(n)
        errors.append(np.linalg.norm(g - n) / scale if scale > 0 else 0.0)
    return np.array(errors)
