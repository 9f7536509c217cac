"""Every binding has an id, a description and a tooltip (issue 3, STYLE rule 6)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from textual.binding import Binding
from textual.dom import DOMNode

import cosell_tui


def test_every_binding_has_id_description_and_tooltip() -> None:
    checked = 0
    for info in pkgutil.walk_packages(cosell_tui.__path__, "cosell_tui."):
        if ".migrations" in info.name:
            continue
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if not issubclass(cls, DOMNode) or cls.__module__ != module.__name__:
                continue
            for binding in cls.__dict__.get("BINDINGS", []):
                assert isinstance(binding, Binding), (cls, binding)
                assert binding.id and binding.description and binding.tooltip, (cls, binding)
                checked += 1
    assert checked > 30
