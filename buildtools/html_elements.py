"""HTML element names that the build's parsers (page sections, search sections) share."""

# The HTML standard's void elements: they have no end tag, so a parser that counts nesting depth
# must not count them.
VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
                  "track", "wbr"})
