"""The one exception type a user ever sees: a mistake they can fix, said in one line."""


class LmlabError(Exception):
    """A clear, actionable error; the CLI prints it without a traceback."""
