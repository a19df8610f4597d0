"""One exception family for teleradlab.

Every face of the library (CLI, notebooks, sweeps) turns a :class:`TeleradlabError`
into one clear line: what was wrong and where. Subclasses say which part of the
library raised it; ``where`` names the file, key path or parameter at fault.
"""

from __future__ import annotations


class TeleradlabError(Exception):
    """Base class of every error teleradlab raises on purpose.

    Parameters
    ----------
    message : str
        What was wrong, in one sentence.
    where : str, optional
        Where it was wrong: a file path, a key path such as ``sites[0].timezone``,
        or a parameter name. Prefixed to the message when given.
    """

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.message = message
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


def one_line(exc: BaseException, limit: int = 300) -> str:
    """An exception as one line: its message's lines joined with "; ", cut to ``limit`` characters.

    Library messages often span lines (pydicom lists each plugin's failure on its
    own line); a user-facing error is one line.

    Parameters
    ----------
    exc : BaseException
    limit : int
        Longest result, in characters.

    Returns
    -------
    str
        The message, or the exception's class name when it has none.

    Examples
    --------
    >>> one_line(ValueError("first\\n  second"))
    'first; second'
    """
    text = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


class DicomError(TeleradlabError):
    """A DICOM file or study that cannot be read, written or used."""


class CodecError(TeleradlabError):
    """A compression request that cannot be carried out (unknown syntax, bit depth...)."""


class QualityError(TeleradlabError):
    """Bad input to a quality metric or model observer."""


class ScenarioError(TeleradlabError):
    """A network scenario that does not validate; ``where`` is the key path."""


class SimulationError(TeleradlabError):
    """A simulation that cannot run as asked."""


class SweepError(TeleradlabError):
    """A sweep spec, target or executor problem."""


class ParameterError(TeleradlabError):
    """A parameter a function or notebook does not accept, or of the wrong type."""


class NotebookError(TeleradlabError):
    """A notebook that failed to execute or is malformed."""


class EnvironmentProblem(TeleradlabError):
    """Something missing from the machine (a package, the kernel, a tool)."""
