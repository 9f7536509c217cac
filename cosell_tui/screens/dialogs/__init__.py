"""The deal actions' dialogs (R-UI-5), one module per action family."""
