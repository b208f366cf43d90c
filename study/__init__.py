"""The study of this project: the mainrun challenge's recipe improved one change at a time (its
ladder in `study.ladder`). The toolkit (`lmlab`) trains, decides and publishes it; `pyproject.toml`'s
`[tool.lmlab]` names `study:LADDER` as the project's study."""

from study.ladder import LADDER

__all__ = ["LADDER"]
