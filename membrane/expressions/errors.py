"""Problems found in an expression, each with a 1-based line and column an editor can point at."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    line: int
    column: int
    message: str
    suggestion: str | None = None

    def as_dict(self) -> dict:
        data = asdict(self)
        if data["suggestion"] is None:
            del data["suggestion"]
        return data

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}"


class ExpressionError(ValueError):
    """An expression that cannot be used; `problems` lists every problem found, in source order."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.line, p.column))
        super().__init__("; ".join(str(p) for p in self.problems))
