"""A mistake in the command line itself (an unknown option, a missing argument, a
value of the wrong kind) as one line in the run's language, like every other mistake:
Click's own answer is an English usage box and status 2."""

from __future__ import annotations

from typer._click.exceptions import BadParameter, MissingParameter, NoSuchOption, UsageError

from geo_api.cli.words import lang


def _hint(exc: BadParameter) -> str:
    """The parameter as the user would type it: '--community' or 'LAYER'."""
    if exc.param_hint is not None:
        hint = exc.param_hint
        return " / ".join(hint) if not isinstance(hint, str) else hint
    if exc.param is not None:
        return exc.param.get_error_hint(exc.ctx)  # type: ignore[arg-type]
    return ""


def _choices(exc: BadParameter) -> list[str]:
    """The values a Choice parameter takes, if it is one."""
    choices = getattr(exc.param.type, "choices", None) if exc.param is not None else None
    return [str(c) for c in choices or ()]


def _english(exc: UsageError) -> str:
    if isinstance(exc, NoSuchOption):
        near = sorted(exc.possibilities or ())
        return f"no such option: {exc.option_name}" + (
            f" (did you mean {', '.join(near)}?)" if near else ""
        )
    return exc.format_message()


def _chinese(exc: UsageError) -> str:
    if isinstance(exc, NoSuchOption):
        near = sorted(exc.possibilities or ())
        return f"没有选项 {exc.option_name}" + (f"（可能是：{'、'.join(near)}）" if near else "")
    if isinstance(exc, MissingParameter):
        kind = exc.param_type or (exc.param.param_type_name if exc.param is not None else "")
        what = {"argument": "参数", "option": "选项"}.get(kind, "参数")
        choices = _choices(exc)
        return f"缺少{what} {_hint(exc)}" + (f"（可选：{'、'.join(choices)}）" if choices else "")
    if isinstance(exc, BadParameter):
        return f"{_hint(exc)} 的值无效：{exc.message}"
    if exc.message.startswith("No such command"):
        return "没有这个命令：" + exc.message.removeprefix("No such command").strip(" .'\"")
    if exc.message.startswith("Got unexpected extra argument"):
        return "多余的参数：" + exc.message.rsplit("(", 1)[-1].rstrip(")")
    return exc.format_message()


def usage_line(exc: UsageError) -> str:
    """The mistake, and where to read how the command is used."""
    path = exc.ctx.command_path if exc.ctx is not None else "gridgov"
    if lang() == "zh":
        return f"{_chinese(exc).rstrip('.')}；用法见 {path} --help"
    return f"{_english(exc).rstrip('.')}; see {path} --help"
