"""Numbers as they come in a URL."""


def is_whole_number(text: str) -> bool:
    """Only ASCII digits: ``str.isdigit`` also says yes to "¹" or "①", which ``int`` refuses
    (a 500 the fuzzer found)."""
    return text.isascii() and text.isdigit()
