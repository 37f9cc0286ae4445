"""scikit-learn's callback support, or a stand-in where it does not exist.

``sklearn.callback`` arrived in scikit-learn 1.9. With an older release the
estimators still fit and predict; only ``set_callbacks`` refuses, saying why.
"""

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
            self._callback_fit_ctx = _NoCallbacks()
            return self._callback_fit_ctx

    def with_callbacks(method):
        """Return ``method`` unchanged: there are no callbacks to tear down."""
        return method


__all__ = ["CallbackSupportMixin", "with_callbacks"]
