"""scikit-learn's callback support, or a stand-in where it does not exist.

``sklearn.callback`` arrived in scikit-learn 1.9. With an older release the
estimators still fit and predict; only ``set_callbacks`` refuses, saying why.
The stand-in's context lives only for the duration of a call, so a fitted
model holds nothing of it: it pickles, and loads with skops's trusted types,
the same on every scikit-learn.
"""

import functools

try:
    from sklearn.callback import CallbackSupportMixin, with_callbacks
except ImportError:  # scikit-learn older than 1.9
    import sklearn

    class _NoCallbacks:
        """A callback context with no callbacks: every hook does nothing."""

        def subcontext(self, **kwargs):
            return self

        def call_on_fit_task_begin(self, **kwargs):
            return self

        def call_on_fit_task_end(self, **kwargs):
            return False

    _NO_CALLBACKS = _NoCallbacks()

    class CallbackSupportMixin:
        """Stand-in for ``sklearn.callback.CallbackSupportMixin``."""

        def set_callbacks(self, *callbacks):
            """Refuse: callbacks need ``sklearn.callback`` (scikit-learn 1.9).

            Parameters
            ----------
            *callbacks : callback instances
                Ignored.
            """
            raise ImportError(
                "set_callbacks needs sklearn.callback, which arrived in "
                f"scikit-learn 1.9; this is scikit-learn {sklearn.__version__}. "
                "Upgrade scikit-learn to use callbacks."
            )

        def _init_callback_context(self, **kwargs):
            self._callback_fit_ctx = _NO_CALLBACKS
            return self._callback_fit_ctx

    def with_callbacks(method):
        """Wrap a fit method so that the callback context ends with the call."""

        @functools.wraps(method)
        def call(estimator, *args, **kwargs):
            try:
                return method(estimator, *args, **kwargs)
            finally:
                estimator.__dict__.pop("_callback_fit_ctx", None)

        return call


__all__ = ["CallbackSupportMixin", "with_callbacks"]
