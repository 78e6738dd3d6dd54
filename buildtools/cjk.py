"""Join the lines of a Chinese paragraph, so a source line break does not show as a space.

Browsers render a newline inside a paragraph as a space, which is right between English words and
wrong between Chinese characters. A newline (plus the next line's indentation) that has a Chinese
character or full-width punctuation on both sides is removed; fenced code is left alone.

CLI: ``python -m buildtools.cjk PAGE.md`` prints the page with its Chinese lines joined.
"""
import re
import sys

CJK = r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"
HAN_CHARS = r"\u3400-\u4dbf\u4e00-\u9fff"  # Chinese characters, without the punctuation
HAN = re.compile(f"[{HAN_CHARS}]")  # "is this text written in Chinese": the checks of both editions
BREAK = re.compile(rf"(?<=[{CJK}])\n[ \t]*(?=[{CJK}])")
FENCED = re.compile(r"^[ \t]*(`{3,}|~{3,})[^\n]*\n.*?^[ \t]*\1[ \t]*$", re.M | re.S)


def join_cjk_lines(markdown: str) -> str:
    out, last = [], 0
    for fenced in FENCED.finditer(markdown):
        out += [BREAK.sub("", markdown[last:fenced.start()]), fenced.group(0)]
        last = fenced.end()
    out.append(BREAK.sub("", markdown[last:]))
    return "".join(out)


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as handle:
        print(join_cjk_lines(handle.read()))
