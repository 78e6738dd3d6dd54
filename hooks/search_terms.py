"""MkDocs hook: teach jieba (which Material's search uses for Chinese) the handbook's terms.

Without it jieba splits 学习率 into 学习 + 率, and a search for 学习率 finds nothing.
"""
from pathlib import Path

import jieba

TERMS = Path(__file__).resolve().parent.parent / "buildtools" / "search_terms.zh.txt"


def on_startup(command, dirty):
    jieba.setLogLevel(60)  # silence its 'Building prefix dict' chatter in the build log
    jieba.load_userdict(str(TERMS))
