"""The one exception type a user ever sees: a mistake they can fix, said in one line."""


class LmlabError(Exception):
    """A clear, actionable error; the CLI prints it without a traceback."""


class RunLocked(LmlabError):
    """Another live process is training this run id."""


class RunDamaged(LmlabError):
    """A file of a run directory cannot be read (invalid JSON, a malformed metrics line)."""


class RunDiverged(LmlabError):
    """The run stopped on a non-finite loss or weights; it is recorded as failed."""


class Diverged(Exception):
    """Raised by the trainer on a non-finite loss or weights; never seen by a user: the run store
    records the run as failed ("diverged: ...") and raises RunDiverged in its place."""


class NotEnoughMemory(LmlabError):
    """The settings are valid but the run would not fit the device's memory; nothing was allocated."""
