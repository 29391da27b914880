"""Comment mining: jieba segmentation with the lexicon, stop words and synonyms; topics in the questionnaire
dimensions; precision and recall on hand-labelled comments; per-window and per-item figures inside one tenant."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from boards.conftest import add_window, rate
from haochaping.analytics.comments import (DIMENSIONS, comment_topics, keyword_frequencies, segment,
                                           topic_frequencies, topics)

DATA = Path(__file__).resolve().parent / "data"
LABELLED = ("labelled_comments.tsv", "labelled_comments_holdout.tsv")


def labelled(name: str) -> list[tuple[str, set[str]]]:
    rows = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        labels, text = line.split("\t")
        rows.append((text, set() if labels == "-" else set(labels.split(","))))
    return rows


def score(rows):
    """Micro-averaged precision and recall over topic assignments, and precision/recall per dimension."""
    tp, fp, fn = Counter(), Counter(), Counter()
    for text, gold in rows:
        found = topics(text)
        for d in found & gold:
            tp[d] += 1
        for d in found - gold:
            fp[d] += 1
        for d in gold - found:
            fn[d] += 1
    total = lambda c: sum(c.values())  # noqa: E731
    precision = total(tp) / (total(tp) + total(fp))
    recall = total(tp) / (total(tp) + total(fn))
    per = {d: (tp[d] / (tp[d] + fp[d]) if tp[d] + fp[d] else None, tp[d] / (tp[d] + fn[d]) if tp[d] + fn[d] else None,
               tp[d] + fn[d]) for d in DIMENSIONS}
    return precision, recall, per


# --- segmentation, stop words, synonyms ---------------------------------------------------------------------------

def test_lexicon_words_segment_whole_and_stop_words_are_dropped():
    words = segment("我觉得办事指南写得不清楚，自助机也老是死机！")
    assert "办事指南" in words and "自助机" in words and "死机" in words
    for dropped in ("我", "觉得", "的", "，", "！", "也"):
        assert dropped not in words
    assert segment("") == [] and segment("，。！") == []


def test_synonyms_normalise_variants():
    assert "排队" in segment("排长队排到门口")
    assert "等待" in segment("等了好久才轮到")
    assert "态度差" in segment("脸色难看") and "态度差" in segment("问两句就不耐烦")
    assert "多次跑" in segment("为这事跑了好几次")
    assert "app" in segment("APP闪退")


@pytest.mark.parametrize("text, dimension", [
    ("办事指南和窗口说的不一样", "guidance"),
    ("咨询的问题都答复了", "guidance"),
    ("流程太复杂，环节太多", "procedure"),
    ("跑了三趟才办完", "procedure"),
    ("要交的材料太多，复印件一大堆", "materials"),
    ("还要开一个证明", "materials"),
    ("小程序登录不了", "interface"),
    ("网站卡顿得厉害", "interface"),
    ("工作人员推诿，态度冷漠", "attitude"),
    ("很有耐心，服务热情", "attitude"),
    ("排队排了一上午", "waiting"),
    ("叫号太慢，等候区坐满了", "waiting"),
])
def test_each_dimension_is_recognised(text, dimension):
    assert dimension in topics(text)


def test_topic_is_what_a_comment_is_about_not_its_sentiment():
    assert topics("态度很好") == topics("态度很差") == {"attitude"}
    assert topics("基本不用排队") == {"waiting"}
    assert topics("很好") == set() and topics("非常满意，谢谢") == set() and topics("") == set()
    assert topics("排了两个小时队，工作人员还爱答不理") == {"waiting", "attitude"}


def test_frequencies_count_comments():
    texts = ["排队太久", "排队排了很久，材料也多", "很好", "材料不全被退回"]
    freq = topic_frequencies(texts)
    assert list(freq) == list(DIMENSIONS)
    assert freq["waiting"] == 2 and freq["materials"] == 2 and freq["attitude"] == 0
    words = dict(keyword_frequencies(texts, top=5))
    assert words["排队"] == 2 and words["材料"] == 2  # counted once per comment
    assert len(keyword_frequencies(texts, top=1)) == 1


# --- the hand-labelled comments -------------------------------------------------------------------------------------

def test_labelled_set_is_large_varied_and_well_formed():
    rows = [row for name in LABELLED for row in labelled(name)]
    assert len(rows) >= 220
    assert len({text for text, _ in rows}) == len(rows)
    assert all(labels <= set(DIMENSIONS) for _, labels in rows)
    assert sum(1 for _, labels in rows if not labels) >= 20
    assert sum(1 for _, labels in rows if len(labels) >= 2) >= 30
    per_dimension = Counter(d for _, labels in rows for d in labels)
    assert min(per_dimension[d] for d in DIMENSIONS) >= 30


def report(title, rows):
    precision, recall, per = score(rows)
    lines = [f"{title}: {len(rows)} comments, micro precision {precision:.3f}, recall {recall:.3f}"]
    lines += [f"  {d:<10} precision {p:.3f} recall {r:.3f} (n={n})" if p is not None else f"  {d:<10} no assignments"
              for d, (p, r, n) in per.items()]
    print("\n".join(lines))
    return precision, recall, per


def test_topic_precision_and_recall_on_the_labelled_comments():
    """Run with -s to see the figures reported in docs/metrics.md (## Comment topics)."""
    tuned = labelled(LABELLED[0])
    holdout = labelled(LABELLED[1])
    precision, recall, per = report("labelled (lexicon tuned on it)", tuned)
    assert precision >= 0.85 and recall >= 0.75
    assert all(p is not None and p >= 0.75 for p, _, _ in per.values())
    report("held-out", holdout)
    precision, recall, _ = report("all", tuned + holdout)
    assert precision >= 0.85 and recall >= 0.75


# --- per window and per item, inside one tenant ---------------------------------------------------------------------

def _same_next_evaluation_id():
    """Move both tenants' evaluation id sequences to the same value, so the next rating in each gets the same pk."""
    from haochaping.evaluations.models import Evaluation

    table = Evaluation._meta.db_table
    values = []
    for slug in ("alpha", "beta"):
        with schema_context(slug), connection.cursor() as cursor:
            cursor.execute(f"SELECT last_value FROM {table}_id_seq")
            values.append(cursor.fetchone()[0])
    for slug in ("alpha", "beta"):
        with schema_context(slug), connection.cursor() as cursor:
            cursor.execute(f"SELECT setval('{table}_id_seq', %s)", [max(values) + 1])


def _rate_item(slug: str, grade: int, item_code: str, comment: str):
    from haochaping.accounts.models import User
    from haochaping.evaluations.submission import EvaluationInput, Submitter, submit_evaluation
    from haochaping.items.models import ServiceItem
    from haochaping.organizations.models import Window

    with schema_context(slug):
        admin = User.objects.get(username="tenant_admin")
        window = Window.objects.get(org__code="H01", code="W01")
        item = ServiceItem.objects.get(catalog_item__code=item_code)
        return submit_evaluation(EvaluationInput(grade=grade, channel="HOTLINE", window_id=window.pk, item_id=item.pk,
                                                 comment=comment), Submitter(user=admin)).evaluation


def test_comment_topics_per_window_and_item_stay_inside_the_tenant(alpha, beta):
    from haochaping.evaluations.models import Evaluation

    add_window("alpha", "W02", "甲镇自助服务区")
    _same_next_evaluation_id()
    first_alpha = rate("alpha", 2, comment="排队排了两个小时，工作人员还爱答不理")
    first_beta = rate("beta", 1, comment="材料太多，复印件要了好几份，网站也打不开")
    assert first_alpha.pk == first_beta.pk  # identical primary keys in both tenants
    rate("alpha", 5, comment="工作人员态度很好")
    rate("alpha", 5, comment="很好")
    rate("alpha", 4)  # no comment
    rate("alpha", 1, window_code="W02", comment="自助机一直死机")
    rejected = rate("alpha", 1, window_code="W02", comment="排队太久")
    with schema_context("alpha"):
        Evaluation.objects.filter(pk=rejected.pk).update(excluded_from_scores=True)
    _rate_item("alpha", 5, "TEST-001", "办事指南写得很清楚，一次就办好了")
    for _ in range(3):
        rate("beta", 1, window_code="W01", comment="材料要求太多，证明开不出来")

    today = timezone.localdate()
    with schema_context("alpha"):
        rows = {r.code: r for r in comment_topics(today, today, by="window")}
        assert set(rows) == {"W01", "W02"}
        w01, w02 = rows["W01"], rows["W02"]
        assert w01.comments == 4 and w01.untopical == 1
        assert w01.topics == {**dict.fromkeys(DIMENSIONS, 0), "waiting": 1, "attitude": 2, "guidance": 1,
                              "procedure": 1}
        assert w02.comments == 1 and w02.topics["interface"] == 1 and w02.topics["waiting"] == 0  # rejected left out
        assert dict(w01.keywords)["态度好"] == 1 and "排队" in dict(w01.keywords)
        # beta's comments (about materials, at the very same primary key) never show up in alpha's figures
        assert all(r.topics["materials"] == 0 for r in rows.values())
        assert all("材料" not in dict(r.keywords) for r in rows.values())

        bad = {r.code: r for r in comment_topics(today, today, by="window", bad_only=True)}
        assert bad["W01"].comments == 1 and bad["W01"].topics["waiting"] == 1 and bad["W01"].topics["guidance"] == 0
        with_rejected = {r.code: r.comments for r in comment_topics(today, today, by="window", include_excluded=True)}
        assert with_rejected == {"W01": 4, "W02": 2}

        items = {r.key: r for r in comment_topics(today, today, by="item")}
        with_item = [r for key, r in items.items() if key is not None]
        assert len(with_item) == 1 and with_item[0].code == "TEST-001" and with_item[0].topics["guidance"] == 1

        yesterday = today - timedelta(days=1)
        assert comment_topics(yesterday, yesterday) == []

    with schema_context("beta"):
        rows = comment_topics(today, today, by="window")
        assert len(rows) == 1 and rows[0].comments == 4 and rows[0].topics["materials"] == 4
        assert rows[0].topics["waiting"] == 0 and rows[0].topics["attitude"] == 0
