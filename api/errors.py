"""422s for input FastAPI cannot check by itself, in the same shape as its own validation errors."""

from __future__ import annotations

from typing import Any

from fastapi.exceptions import RequestValidationError


def invalid(param: str, message: str, value: Any) -> RequestValidationError:
    return RequestValidationError([{"type": "value_error", "loc": ("query", param), "msg": message, "input": value}])
