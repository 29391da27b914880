"""Comment mining: what citizens' free-text comments are about, in the questionnaire's dimensions.

A comment is segmented with jieba (lexicon and synonym phrases added so they stay whole), variants are rewritten to
one canonical word (等了好久 → 等待, 脸色难看 → 态度差), stop words and punctuation are dropped, and every remaining
word found in a dimension's keyword list puts the comment on that topic. A topic is what the comment is about, praise
or complaint alike: 态度很好 and 态度恶劣 are both `attitude`. The lexicon, synonyms and stop words are data
(`data/comment_lexicon.json`, `data/stopwords_zh.txt`); docs/metrics.md reports the precision and recall measured on
the hand-labelled comments in tests/analytics/data/.
"""
from __future__ import annotations

import json
import logging
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from django.utils import timezone

DATA = Path(__file__).resolve().parent / "data"
LEXICON_FILE = DATA / "comment_lexicon.json"
STOPWORDS_FILE = DATA / "stopwords_zh.txt"


@dataclass(frozen=True)
class Dimension:
    key: str
    label: str
    name: str
    keywords: frozenset[str]


def _load_lexicon() -> tuple[dict[str, Dimension], dict[str, str]]:
    raw = json.loads(LEXICON_FILE.read_text(encoding="utf-8"))
    dimensions = {key: Dimension(key=key, label=d["label"], name=d["name"],
                                 keywords=frozenset(w.lower() for w in d["keywords"]))
                  for key, d in raw["dimensions"].items()}
    synonyms = {}
    for canonical, variants in raw["synonyms"].items():
        for variant in variants:
            synonyms[variant.lower()] = canonical.lower()
    return dimensions, synonyms


def _load_stopwords() -> frozenset[str]:
    lines = STOPWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


_DIMENSIONS, SYNONYMS = _load_lexicon()
DIMENSIONS: dict[str, Dimension] = _DIMENSIONS
"""Questionnaire dimensions in display order: guidance, procedure, materials, interface, attitude, waiting."""
STOPWORDS = _load_stopwords()
KEYWORD_DIMENSIONS: dict[str, frozenset[str]] = {}
for _dim in DIMENSIONS.values():
    for _word in _dim.keywords:
        KEYWORD_DIMENSIONS[_word] = KEYWORD_DIMENSIONS.get(_word, frozenset()) | {_dim.key}

_tokenizer = None
_tokenizer_lock = threading.Lock()


def tokenizer():
    """One jieba tokenizer per process, with the lexicon and synonym phrases added (its dictionary loads lazily, about
    a second, and is cached in the system temp directory)."""
    global _tokenizer
    if _tokenizer is None:
        with _tokenizer_lock:
            if _tokenizer is None:
                import jieba

                logging.getLogger("jieba").setLevel(logging.WARNING)
                tk = jieba.Tokenizer()
                tk.initialize()
                for word in sorted(set(KEYWORD_DIMENSIONS) | set(SYNONYMS) | set(SYNONYMS.values())):
                    tk.add_word(word, freq=max(tk.suggest_freq(word), 50000))
                _tokenizer = tk
    return _tokenizer


def _is_noise(token: str) -> bool:
    """Whitespace, punctuation, symbols and bare numbers."""
    if not token.strip():
        return True
    if all(unicodedata.category(ch)[0] in "PSZ" for ch in token):
        return True
    return bool(re.fullmatch(r"[0-9.%]+", token))


def segment(text: str) -> list[str]:
    """Words of a comment: jieba segmentation, lower-cased, synonyms normalised, stop words and punctuation removed."""
    if not text:
        return []
    words = []
    for token in tokenizer().lcut(text.strip(), HMM=True):
        token = token.strip().lower()
        if _is_noise(token):
            continue
        token = SYNONYMS.get(token, token)
        if token in STOPWORDS:
            continue
        words.append(token)
    return words


def topics_of_words(words: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for word in words:
        found |= KEYWORD_DIMENSIONS.get(word, frozenset())
    return found


def topics(text: str) -> set[str]:
    """The dimensions a comment is about (empty when it is about none, e.g. “很好”)."""
    return topics_of_words(segment(text))


def keyword_frequencies(texts: Iterable[str], top: int = 20) -> list[tuple[str, int]]:
    """The `top` most frequent words over the comments, counted once per comment (ties in first-seen order)."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(dict.fromkeys(segment(text), 1))
    return counts.most_common(top)


def topic_frequencies(texts: Iterable[str]) -> dict[str, int]:
    """How many comments are about each dimension (every dimension present, zero included)."""
    counts = dict.fromkeys(DIMENSIONS, 0)
    for text in texts:
        for key in topics(text):
            counts[key] += 1
    return counts


@dataclass
class CommentTopicRow:
    """Comment figures for one window or item over a period."""
    key: int | None                   # window_id or item_id (None: evaluations without one)
    code: str
    name: str
    comments: int = 0                 # evaluations with a non-empty comment
    topics: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DIMENSIONS, 0))
    keywords: list[tuple[str, int]] = field(default_factory=list)
    untopical: int = 0                # comments about none of the dimensions


def _bounds(start: date | datetime, end: date | datetime) -> tuple[datetime, datetime]:
    """Dates: [start, end] as whole local days. Datetimes: the half-open range [start, end)."""
    def aware(value: datetime) -> datetime:
        return value if timezone.is_aware(value) else timezone.make_aware(value)

    since = aware(start) if isinstance(start, datetime) else timezone.make_aware(datetime.combine(start, time.min))
    until = (aware(end) if isinstance(end, datetime)
             else timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min)))
    return since, until


def comment_topics(start: date | datetime, end: date | datetime, *, by: str = "window", bad_only: bool = False,
                   include_excluded: bool = False, top: int = 10) -> list[CommentTopicRow]:
    """Keyword and topic frequencies of the comments rated in the period, per window or per item, in the current
    tenant schema. Reviews rejected as mistaken or malicious (`excluded_from_scores`) are left out unless
    `include_excluded`; `bad_only` keeps bad reviews (grade ≤ 2). Rows with the most comments come first."""
    from haochaping.evaluations.models import Evaluation

    if by not in ("window", "item"):
        raise ValueError("by must be 'window' or 'item'")
    since, until = _bounds(start, end)
    qs = Evaluation.objects.filter(rated_at__gte=since, rated_at__lt=until).exclude(comment="")
    if bad_only:
        qs = qs.filter(is_bad=True)
    if not include_excluded:
        qs = qs.filter(excluded_from_scores=False)
    if by == "window":
        fields = ("window_id", "window__code", "window__name", "comment")
    else:
        fields = ("item_id", "item__catalog_item__code", "item__catalog_item__name", "comment")
    rows: dict[int | None, CommentTopicRow] = {}
    texts: dict[int | None, list[str]] = {}
    for key, code, name, comment in qs.values_list(*fields).order_by("pk").iterator(chunk_size=2000):
        if not comment.strip():
            continue
        row = rows.get(key)
        if row is None:
            row = rows[key] = CommentTopicRow(key=key, code=code or "", name=name or "")
            texts[key] = []
        words = segment(comment)
        found = topics_of_words(words)
        row.comments += 1
        for dim in found:
            row.topics[dim] += 1
        if not found:
            row.untopical += 1
        texts[key].append(words)
    for key, row in rows.items():
        counts: Counter[str] = Counter()
        for words in texts[key]:
            counts.update(dict.fromkeys(words, 1))
        row.keywords = counts.most_common(top)
    return sorted(rows.values(), key=lambda r: (-r.comments, r.code, r.key or 0))
