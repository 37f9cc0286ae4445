"""Lowering tables: each activation and output layer written as ONNX operators.

:data:`HIDDEN` is keyed like :data:`skscratch._core.activations.ACTIVATIONS`
and :data:`OUTPUT` by the output activations of
:data:`skscratch._core.losses.OUTPUTS` (the losses that share an activation
share its lowering: prediction does not depend on the loss); a test checks
that the keys agree, so an activation or output layer added to the core
without its lowering is caught. Constants (the leaky slope, the exp clip)
come from the core, never written twice.
"""

import functools
import math

import numpy as np

from skscratch._core.activations import LEAKY_SLOPE
from skscratch._core.losses import exp_bound

# Degree of the Chebyshev expansion behind float64 GELU.
_ERFC_DEGREE = 28


@functools.cache
def _erfc_coefficients():
    r"""Chebyshev coefficients of :math:`h(s) = \log(\operatorname{erfcx}(a) / t)`.

    With :math:`t = 2 / (2 + a) \in (0, 1]` and :math:`s = 2t - 1`,
    :math:`\operatorname{erfc}(a) = t \, e^{h(s) - a^2}` for :math:`a \ge 0`;
    :math:`h` is smooth on :math:`[-1, 1]` (it tends to
    :math:`-\log(2\sqrt{\pi})` as :math:`a \to \infty`).
    """
    from scipy.special import erfcx

    def h(s):
        t = np.maximum((s + 1) / 2, np.finfo(np.float64).tiny)
        return np.log(erfcx(2 / t - 2) / t)

    return np.polynomial.chebyshev.chebinterpolate(h, _ERFC_DEGREE)


def _normal_cdf(g, Z):
    r"""Return the standard normal distribution function of ``Z``.

    :math:`\Phi(z) = \frac{1}{2}\operatorname{erfc}(x)` with
    :math:`x = -z / \sqrt 2`, where
    :math:`\operatorname{erfc}(a) = t \, e^{h(s) - a^2}` for
    :math:`a = |x|`, with :math:`h` summed by Clenshaw's recurrence (see
    :func:`_erfc_coefficients`), and
    :math:`\operatorname{erfc}(x) = 2 - \operatorname{erfc}(-x)` for
    :math:`x < 0`.
    """
    x = g.op("Mul", Z, -1 / math.sqrt(2))
    a = g.op("Abs", x)
    t = g.op("Div", 2.0, g.op("Add", a, 2.0))
    s = g.op("Sub", g.op("Mul", t, 2.0), 1.0)
    two_s = g.op("Mul", s, 2.0)
    c = [float(ck) for ck in _erfc_coefficients()]
    b1, b2 = c[-1], None  # b_{k+1} and b_{k+2}, from b_n = c_n, b_{n+1} = 0
    for k in range(len(c) - 2, 0, -1):  # b_k = c_k + 2 s b_{k+1} - b_{k+2}
        bk = g.op("Add", g.op("Mul", two_s, b1), c[k])
        if b2 is not None:
            bk = g.op("Sub", bk, b2)
        b1, b2 = bk, b1
    h = g.op("Sub", g.op("Add", g.op("Mul", s, b1), c[0]), b2)
    exponent = g.op("Sub", h, g.op("Mul", a, a))
    erfc_a = g.op("Mul", t, g.op("Exp", exponent))
    erfc_x = g.op("Where", g.op("Less", x, 0.0), g.op("Sub", 2.0, erfc_a), erfc_a)
    return g.op("Mul", erfc_x, 0.5)


def _leaky_relu(g, Z):
    if g.native:
        return g.op("LeakyRelu", Z, alpha=LEAKY_SLOPE)
    # The float attribute would round the slope to float32.
    return g.op("Max", Z, g.op("Mul", Z, LEAKY_SLOPE))


def _elu(g, Z):
    if g.native:
        return g.op("Elu", Z, alpha=1.0)
    # max(z, 0) + (exp(min(z, 0)) - 1)
    expm1 = g.op("Sub", g.op("Exp", g.op("Min", Z, 0.0)), 1.0)
    return g.op("Add", g.op("Relu", Z), expm1)


def _softplus(g, Z):
    if g.native:
        return g.op("Softplus", Z)
    # max(z, 0) + log(1 + exp(-|z|)), which never overflows
    tail = g.op("Exp", g.op("Neg", g.op("Abs", Z)))
    return g.op("Add", g.op("Relu", Z), g.op("Log", g.op("Add", tail, 1.0)))


def _gelu(g, Z):
    if g.native:
        # 0.5 z (1 + erf(z / sqrt 2))
        erf = g.op("Erf", g.op("Mul", Z, 1 / math.sqrt(2)))
        half_z = g.op("Mul", Z, 0.5)
        return g.op("Mul", half_z, g.op("Add", erf, 1.0))
    return g.op("Mul", Z, _normal_cdf(g, Z))


#: hidden activation name -> ``lower(g, Z)``, returning the activation's output.
HIDDEN = {
    "identity": lambda g, Z: Z,
    "logistic": lambda g, Z: g.op("Sigmoid", Z),
    "tanh": lambda g, Z: g.op("Tanh", Z),
    "relu": lambda g, Z: g.op("Relu", Z),
    "leaky_relu": _leaky_relu,
    "elu": _elu,
    "gelu": _gelu,
    "softplus": _softplus,
}


def _identity(g, Z, out):
    out.emit(Z, "variable")


def _exp(g, Z, out):
    bound = exp_bound(g.dtype)
    out.emit(g.op("Exp", g.op("Clip", Z, -bound, bound)), "variable")


def _softmax(g, Z, out):
    # Floored at the smallest normal float, as predict_proba does.
    tiny = float(np.finfo(g.dtype).tiny)
    out.emit(g.op("Max", g.op("Softmax", Z, axis=1), tiny), "probabilities")
    return g.op("ArgMax", Z, axis=1, keepdims=0)


def _logistic(g, Z, out):
    # Kept inside [eps, 1 - eps], as predict_proba does.
    eps = float(np.finfo(g.dtype).eps)
    P = g.op("Clip", g.op("Sigmoid", Z), eps, 1 - eps)
    positive = g.op("Cast", g.op("Greater", Z, 0.0), to=g.tensor_type(np.int64))
    if out.n_outputs > 1:  # multilabel: a 0/1 indicator matrix
        out.emit(P, "probabilities")
        g.op("Identity", positive, output=out.names["label"])
        return None
    out.emit(g.op("Concat", g.op("Sub", 1.0, P), P, axis=1), "probabilities")
    return g.op("Squeeze", positive, g.const(np.array([1], np.int64), "axis"))


#: output layer name -> ``lower(g, Z, out)``. It writes the float outputs
#: through ``out.emit``; a classifier's returns the index of each sample's
#: class (None when it wrote the labels itself).
OUTPUT = {
    "softmax": _softmax,
    "logistic": _logistic,
    "identity": _identity,
    "exp": _exp,
}
