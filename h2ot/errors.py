"""The one exception type of h2ot (raised for bad input, with a sentence that says what was wrong and what to
do), and its one warning type.

It subclasses ValueError so that callers who catch ValueError keep working."""


class H2OTError(ValueError):
    """Bad input given to h2ot (a shape, a file, a config); the message is meant for the user."""


class H2OTWarning(UserWarning):
    """Something the user should know about a result (a model trained for other 2D, frames without a person)."""
