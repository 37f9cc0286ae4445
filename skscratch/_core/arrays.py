"""The few array operations whose NumPy form and array-API form differ.

The core is written once, in NumPy's in-place style: ``xp.multiply(a, b,
out=c)`` writes into a buffer allocated once per fit. NumPy's functions take
that ``out=`` argument; the array API standard's do not. :func:`ops_for`
returns, for an array, an object with the same names and signatures:

* for NumPy arrays (and SciPy sparse matrices), :data:`NUMPY`, whose members
  *are* NumPy's and SciPy's own functions, so the NumPy path runs exactly the
  code it would without this module;
* for any other array-API namespace (PyTorch, CuPy, array-api-strict), an
  :class:`ArrayAPIOps`, which computes the result in that namespace, on the
  array's device, and copies it into ``out``.

Every function here returns ``out`` (or the new array when ``out`` is None).
Python scalars may stand in for either operand of the arithmetic functions.
"""

import functools
import importlib

import numpy as np
import scipy.sparse as sp
import scipy.special

__all__ = ["NUMPY", "ArrayAPIOps", "TorchOps", "ops_for"]


@functools.cache
def _zero_row(width, dtype):
    """Return a read-only row of zeros (cached; shared by every call)."""
    row = np.zeros(width, dtype=dtype)
    row.flags.writeable = False
    return row


def _take(X, indices, axis=0, out=None):
    """Gather the rows ``indices`` of ``X`` into ``out`` (NumPy)."""
    return X.take(indices, axis=axis, out=out, mode="clip")


def _copyto(dst, src):
    """Copy ``src`` into ``dst``, casting between float dtypes (NumPy)."""
    np.copyto(dst, src, casting="same_kind")


def _special_ufunc(name):
    """Return SciPy's ufunc ``name`` itself.

    With ``SCIPY_ARRAY_API=1`` (which scikit-learn's array API dispatch
    needs), ``scipy.special`` exports wrappers that dispatch on the
    arguments' namespace; the NumPy path wants the plain ufuncs, with
    ``out=`` and no overhead.
    """
    function = getattr(scipy.special, name)
    if isinstance(function, np.ufunc):
        return function
    return getattr(importlib.import_module("scipy.special._ufuncs"), name)


class NumpyOps:
    """NumPy's and SciPy's own functions, under the names the core uses.

    ``zero_row(Z)`` is a cached row of zeros broadcast over ``Z``: NumPy's
    loop for two arrays is about twice as fast as its loop for an array and
    a scalar.
    """

    is_numpy = True
    add, subtract, multiply, divide = np.add, np.subtract, np.multiply, np.divide
    negative, square, sqrt, abs, sign = np.negative, np.square, np.sqrt, np.abs, np.sign
    exp, expm1, log, tanh, logaddexp = np.exp, np.expm1, np.log, np.tanh, np.logaddexp
    maximum, minimum, clip = np.maximum, np.minimum, staticmethod(np.clip)
    greater, greater_equal, matmul = np.greater, np.greater_equal, np.matmul
    expit, xlogy, ndtr = (_special_ufunc(f) for f in ("expit", "xlogy", "ndtr"))
    sum, max = np.add.reduce, np.maximum.reduce
    asarray, finfo, dot = np.asarray, np.finfo, staticmethod(np.dot)
    reshape = staticmethod(np.reshape)
    take, copyto = staticmethod(_take), staticmethod(_copyto)

    @staticmethod
    def zero_row(Z):
        """Return zeros that broadcast over the rows of ``Z``."""
        return _zero_row(Z.shape[1], Z.dtype)

    @staticmethod
    def empty(shape, like, dtype=None):
        """Return an uninitialised array of ``like``'s dtype (or ``dtype``)."""
        return np.empty(shape, like.dtype if dtype is None else dtype)

    @staticmethod
    def zeros(shape, like, dtype=None):
        """Return zeros of ``like``'s dtype (or ``dtype``)."""
        return np.zeros(shape, like.dtype if dtype is None else dtype)

    @staticmethod
    def average(terms, weights):
        """Return the mean of ``terms`` over axis 0, weighted by ``weights``."""
        return np.average(terms, weights=weights, axis=0)

    @staticmethod
    def from_numpy(array, like, cast=True):
        """Return ``array`` itself: it already lives where ``like`` does."""
        return array

    @staticmethod
    def device(x):
        """Return the device of a NumPy array: the CPU."""
        return "cpu"

    @staticmethod
    def to_numpy(x):
        """Return ``x`` itself: it is a NumPy array already."""
        return x

    @staticmethod
    def copy(x):
        """Return a copy of ``x``."""
        return x.copy()

    @staticmethod
    def astype(x, dtype):
        """Return ``x`` in ``dtype``, copied only if the dtype changes."""
        return x.astype(dtype, copy=False)

    @staticmethod
    def all_finite(x):
        """Return whether every entry of ``x`` is finite."""
        return bool(np.isfinite(x).all())

    @staticmethod
    def concat(arrays, axis):
        """Join ``arrays`` along ``axis``."""
        return np.concatenate(arrays, axis=axis)

    @staticmethod
    def argmax(x, axis):
        """Index of the largest entry along ``axis``."""
        return np.argmax(x, axis=axis)


#: The operations on NumPy arrays.
NUMPY = NumpyOps()


def _elementwise(name):
    """Build a one-argument function of :class:`ArrayAPIOps` with ``out=``."""

    def function(self, x, out=None):
        return self._into(getattr(self.xp, name)(x), out)

    function.__name__ = name
    return function


def _plain(value):
    """Return a NumPy scalar as a Python scalar (arrays pass through)."""
    return value.item() if isinstance(value, np.generic) else value


def _operator(compute):
    """Build a two-argument function of :class:`ArrayAPIOps` from an operator."""

    def function(self, a, b, out=None):
        return self._into(compute(_plain(a), _plain(b)), out)

    function.__name__ = compute.__name__
    return function


class ArrayAPIOps:
    """The core's operations in an array-API namespace other than NumPy.

    Results are computed in the namespace (on the input's device) and then
    copied into ``out``. Arithmetic goes through Python's operators, which
    take Python scalars without moving them to the device first.

    Parameters
    ----------
    xp : module
        An array-API compatible namespace (from ``array_api_compat``).
    """

    is_numpy = False

    def __init__(self, xp):
        self.xp = xp
        self.name = xp.__name__

    def __repr__(self):
        return f"ArrayAPIOps({self.name})"

    def _into(self, value, out):
        """Copy ``value`` into ``out`` (in ``out``'s dtype) and return ``out``."""
        if out is None:
            return value
        if value.dtype != out.dtype:
            value = self.xp.astype(value, out.dtype)
        out[...] = value
        return out

    add = _operator(lambda a, b: a + b)
    subtract = _operator(lambda a, b: a - b)
    multiply = _operator(lambda a, b: a * b)
    divide = _operator(lambda a, b: a / b)
    greater = _operator(lambda a, b: a > b)
    greater_equal = _operator(lambda a, b: a >= b)
    matmul = _operator(lambda a, b: a @ b)
    negative = _elementwise("negative")
    square = _elementwise("square")
    sqrt = _elementwise("sqrt")
    abs = _elementwise("abs")
    sign = _elementwise("sign")
    exp = _elementwise("exp")
    expm1 = _elementwise("expm1")
    log = _elementwise("log")
    tanh = _elementwise("tanh")

    def _both_arrays(self, a, b):
        """Turn a Python scalar operand into a 0-d array like the other one."""
        a, b = _plain(a), _plain(b)
        if isinstance(a, int | float):
            a = self.xp.asarray(a, dtype=b.dtype, device=self.device(b))
        if isinstance(b, int | float):
            b = self.xp.asarray(b, dtype=a.dtype, device=self.device(a))
        return a, b

    def _clip(self, x, low=None, high=None):
        """Clip ``x`` to Python scalar bounds.

        A namespace older than ``clip`` (the 2023.12 standard) uses ``where``.
        """
        xp = self.xp
        if hasattr(xp, "clip"):
            return xp.clip(x, min=low, max=high)
        if low is not None:
            x = xp.where(x < low, xp.asarray(low, dtype=x.dtype), x)
        if high is not None:
            x = xp.where(x > high, xp.asarray(high, dtype=x.dtype), x)
        return x

    def maximum(self, a, b, out=None):
        """Elementwise maximum; a scalar bound is a clip, with no device copy."""
        b = _plain(b)
        if isinstance(b, int | float):
            return self._into(self._clip(a, low=b), out)
        if not hasattr(self.xp, "maximum"):  # older than the 2023.12 standard
            return self._into(self.xp.where(a >= b, a, b), out)
        return self._into(self.xp.maximum(a, b), out)

    def minimum(self, a, b, out=None):
        """Elementwise minimum; a scalar bound is a clip, with no device copy."""
        b = _plain(b)
        if isinstance(b, int | float):
            return self._into(self._clip(a, high=b), out)
        if not hasattr(self.xp, "minimum"):  # older than the 2023.12 standard
            return self._into(self.xp.where(a <= b, a, b), out)
        return self._into(self.xp.minimum(a, b), out)

    def clip(self, x, low, high, out=None):
        """Clip ``x`` to ``[low, high]`` (Python scalars)."""
        return self._into(self._clip(x, _plain(low), _plain(high)), out)

    def logaddexp(self, a, b, out=None):
        r"""Return :math:`\log(e^a + e^b)`, elementwise."""
        return self._into(self.xp.logaddexp(*self._both_arrays(a, b)), out)

    def expit(self, x, out=None):
        """Logistic sigmoid :math:`1 / (1 + e^{-x})` (0 where :math:`e^{-x}` is inf)."""
        return self._into(1.0 / (1.0 + self.xp.exp(-x)), out)

    def xlogy(self, x, y, out=None):
        r"""Return :math:`x \log y`, with 0 wherever :math:`x = 0`."""
        xp = self.xp
        y = xp.where(x == 0, xp.ones_like(y), y)  # log 1 = 0: no -inf times 0
        return self._into(x * xp.log(y), out)

    def ndtr(self, x, out=None):
        r"""Return the standard normal distribution function :math:`\Phi(x)`.

        :math:`\Phi(x) = \frac{1}{2} \operatorname{erfc}(-x / \sqrt{2})`, and
        the array API has no ``erfc``: PyTorch's and CuPy's own are used,
        and any other namespace computes it with SciPy on the host.
        """
        special = _device_special(self.name)
        if special is not None:
            return self._into(special.ndtr(x), out)
        host = NUMPY.ndtr(np.from_dlpack(x))
        return self._into(self.from_numpy(host, x), out)

    def sum(self, x, axis=None, keepdims=False, out=None):
        """Sum over ``axis``."""
        return self._into(self.xp.sum(x, axis=axis, keepdims=keepdims), out)

    def max(self, x, axis=None, keepdims=False, out=None):
        """Maximum over ``axis``."""
        return self._into(self.xp.max(x, axis=axis, keepdims=keepdims), out)

    def finfo(self, dtype):
        """Machine limits of a floating dtype."""
        return self.xp.finfo(dtype)

    def dot(self, a, b):
        """Inner product of two vectors, a 0-d array."""
        if not hasattr(self.xp, "vecdot"):  # older than the 2022.12 standard
            return self.xp.sum(a * b)
        return self.xp.vecdot(a, b)

    def reshape(self, x, shape):
        """Reshape ``x``; a contiguous input gives a view."""
        return self.xp.reshape(x, shape)

    def take(self, X, indices, axis=0, out=None):
        """Gather the rows ``indices`` (an array of this namespace) of ``X``.

        A namespace older than ``take`` (the 2022.12 standard) gathers on
        the host.
        """
        if not hasattr(self.xp, "take"):
            host = np.take(self.to_numpy(X), self.to_numpy(indices), axis=axis)
            return self._into(self.from_numpy(host, X, cast=False), out)
        return self._into(self.xp.take(X, indices, axis=axis), out)

    def copyto(self, dst, src):
        """Copy ``src`` into ``dst``, in ``dst``'s dtype."""
        self._into(src, dst)

    def zero_row(self, Z):
        """Return zeros that broadcast over ``Z``: a Python 0.0."""
        return 0.0

    def device(self, x):
        """Return the device ``x`` lives on."""
        return _compat().device(x)

    def empty(self, shape, like, dtype=None):
        """Return an uninitialised array on ``like``'s device, in its dtype."""
        dtype = like.dtype if dtype is None else dtype
        return self.xp.empty(shape, dtype=dtype, device=self.device(like))

    def zeros(self, shape, like, dtype=None):
        """Return zeros on ``like``'s device, in its dtype (or ``dtype``)."""
        dtype = like.dtype if dtype is None else dtype
        return self.xp.zeros(shape, dtype=dtype, device=self.device(like))

    def asarray(self, x, dtype=None):
        """Return ``x`` as an array of this namespace."""
        return self.xp.asarray(x, dtype=dtype)

    def average(self, terms, weights):
        """Return the mean of ``terms`` over axis 0, weighted by ``weights``."""
        xp = self.xp
        if weights is None:
            return xp.mean(terms, axis=0)
        weighted = terms * xp.astype(weights, terms.dtype)[:, None]
        return xp.sum(weighted, axis=0) / xp.sum(weights)

    def to_numpy(self, x):
        """Copy ``x`` to a NumPy array on the host."""
        if "torch" in self.name:
            return x.detach().cpu().numpy()
        if "cupy" in self.name:  # pragma: no cover - needs a CUDA device
            return x.get()
        return np.from_dlpack(x)

    def from_numpy(self, array, like, cast=True):
        """Move a NumPy ``array`` to ``like``'s namespace and device.

        A float array takes ``like``'s dtype (unless ``cast`` is False);
        others keep their own.
        """
        array = np.asarray(array)
        dtype = like.dtype if cast and array.dtype.kind == "f" else None
        return self.xp.asarray(array, dtype=dtype, device=self.device(like))

    def copy(self, x):
        """Return a copy of ``x``."""
        return self.xp.asarray(x, copy=True)

    def address(self, x):
        """Return where the first element of ``x`` is in memory, or None if unknown."""
        if hasattr(x, "data_ptr"):  # PyTorch
            return x.data_ptr()
        pointer = getattr(getattr(x, "data", None), "ptr", None)  # CuPy
        if pointer is not None:  # pragma: no cover - needs a CUDA device
            return pointer
        inner = getattr(x, "_array", None)  # array-api-strict wraps NumPy
        if isinstance(inner, np.ndarray):
            return inner.__array_interface__["data"][0]
        return None

    def astype(self, x, dtype):
        """Return ``x`` in ``dtype``, copied only if the dtype changes."""
        return self.xp.astype(x, dtype, copy=False)

    def all_finite(self, x):
        """Return whether every entry of ``x`` is finite (one read back)."""
        return bool(self.xp.all(self.xp.isfinite(x)))

    def concat(self, arrays, axis):
        """Join ``arrays`` along ``axis``."""
        return self.xp.concat(arrays, axis=axis)

    def argmax(self, x, axis):
        """Index of the largest entry along ``axis``."""
        return self.xp.argmax(x, axis=axis)


def _native(name, fallback):
    """Build a function of :class:`TorchOps`: PyTorch's ``name``, writing into ``out``.

    Without ``out``, or with a Python scalar first (``1 - A``), it is the
    generic ``fallback`` of :class:`ArrayAPIOps`.
    """

    def function(self, *args, out=None, **kwargs):
        if out is None or not isinstance(args[0], self.torch.Tensor):
            return fallback(self, *args, out=out, **kwargs)
        return getattr(self.torch, name)(*map(_plain, args), out=out, **kwargs)

    function.__name__ = fallback.__name__
    return function


class TorchOps(ArrayAPIOps):
    """The core's operations on PyTorch tensors.

    PyTorch's own functions take ``out=``, as NumPy's do: a result is
    written where it belongs, with no temporary tensor and no copy (on a
    GPU, one kernel where the generic form launches two).

    Parameters
    ----------
    xp : module
        ``array_api_compat``'s PyTorch namespace.
    """

    def __init__(self, xp):
        super().__init__(xp)
        self.torch = importlib.import_module("torch")

    add = _native("add", ArrayAPIOps.add)
    subtract = _native("sub", ArrayAPIOps.subtract)
    multiply = _native("mul", ArrayAPIOps.multiply)
    divide = _native("div", ArrayAPIOps.divide)
    greater = _native("gt", ArrayAPIOps.greater)
    greater_equal = _native("ge", ArrayAPIOps.greater_equal)
    matmul = _native("matmul", ArrayAPIOps.matmul)
    negative = _native("neg", ArrayAPIOps.negative)
    square = _native("square", ArrayAPIOps.square)
    sqrt = _native("sqrt", ArrayAPIOps.sqrt)
    abs = _native("abs", ArrayAPIOps.abs)
    sign = _native("sign", ArrayAPIOps.sign)
    exp = _native("exp", ArrayAPIOps.exp)
    expm1 = _native("expm1", ArrayAPIOps.expm1)
    log = _native("log", ArrayAPIOps.log)
    tanh = _native("tanh", ArrayAPIOps.tanh)
    expit = _native("sigmoid", ArrayAPIOps.expit)
    xlogy = _native("xlogy", ArrayAPIOps.xlogy)

    def dot(self, a, b):
        """Inner product of two vectors, a 0-d tensor (one kernel)."""
        return self.torch.dot(a, b)

    def take(self, X, indices, axis=0, out=None):
        """Gather the rows ``indices`` of ``X``, straight into ``out``."""
        if out is None:
            return self.torch.index_select(X, axis, indices)
        return self.torch.index_select(X, axis, indices, out=out)

    def sum(self, x, axis=None, keepdims=False, out=None):
        """Sum over ``axis``."""
        if out is None or axis is None:
            return super().sum(x, axis=axis, keepdims=keepdims, out=out)
        return self.torch.sum(x, dim=axis, keepdim=keepdims, out=out)

    def max(self, x, axis=None, keepdims=False, out=None):
        """Maximum over ``axis``."""
        if out is None or axis is None:
            return super().max(x, axis=axis, keepdims=keepdims, out=out)
        return self.torch.amax(x, dim=axis, keepdim=keepdims, out=out)

    def clip(self, x, low, high, out=None):
        """Clip ``x`` to ``[low, high]`` (Python scalars)."""
        if out is None:
            return super().clip(x, low, high)
        return self.torch.clamp(x, _plain(low), _plain(high), out=out)

    def maximum(self, a, b, out=None):
        """Elementwise maximum; a scalar bound is a clamp."""
        b = _plain(b)
        if out is None:
            return super().maximum(a, b)
        if isinstance(b, int | float):
            return self.torch.clamp(a, min=b, out=out)
        return self.torch.maximum(a, b, out=out)

    def minimum(self, a, b, out=None):
        """Elementwise minimum; a scalar bound is a clamp."""
        b = _plain(b)
        if out is None:
            return super().minimum(a, b)
        if isinstance(b, int | float):
            return self.torch.clamp(a, max=b, out=out)
        return self.torch.minimum(a, b, out=out)


#: Namespaces with their own special functions, and the module holding them.
_SPECIAL_FUNCTIONS = {"torch": "torch.special", "cupy": "cupyx.scipy.special"}


def _compat():
    """Return ``array_api_compat``, which arrays of other namespaces need.

    It is imported only when such an array arrives (it is the optional
    ``array-api`` extra), so NumPy users never load it.
    """
    try:
        return importlib.import_module("array_api_compat")
    except ImportError as exc:
        raise ImportError(
            "arrays of a namespace other than NumPy need array-api-compat: "
            'pip install "skscratch[array-api]" (or array-api-compat)'
        ) from exc


@functools.cache
def _device_special(name):
    """Return the special-function module of a namespace that has one, or None."""
    for namespace, module in _SPECIAL_FUNCTIONS.items():
        if namespace in name:
            return importlib.import_module(module)
    return None


_OPS_BY_NAMESPACE: dict[type, ArrayAPIOps] = {}


def ops_for(x):
    """Return the operations that compute in ``x``'s namespace.

    Parameters
    ----------
    x : array
        A NumPy array, a SciPy sparse matrix, or an array of another
        array-API namespace (PyTorch, CuPy, array-api-strict, ...).

    Returns
    -------
    ops : NumpyOps or ArrayAPIOps
        :data:`NUMPY` for NumPy arrays and sparse matrices.
    """
    if isinstance(x, np.ndarray | np.generic) or sp.issparse(x):
        return NUMPY
    key = type(x)
    ops = _OPS_BY_NAMESPACE.get(key)
    if ops is None:
        compat = _compat()
        namespace = compat.array_namespace(x)
        torch = compat.is_torch_namespace(namespace)
        ops = (TorchOps if torch else ArrayAPIOps)(namespace)
        _OPS_BY_NAMESPACE[key] = ops
    return ops
