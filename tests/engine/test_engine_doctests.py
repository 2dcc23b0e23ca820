"""The examples in the docstrings of the engine's pure modules run as tests."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest
from mapper.engine.library import countries, functions, money, vatnumber
from mapper.engine.rules import json_writer, render

MODULES = [functions, money, countries, vatnumber, render, json_writer]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_docstring_examples(module: ModuleType) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, report=True)
    assert result.attempted > 0, f"{module.__name__} has no examples"
    assert result.failed == 0
