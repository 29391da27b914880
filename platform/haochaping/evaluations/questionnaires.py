"""评价问询表单: the five questions of the county plan by default, editable and versioned per item."""
from __future__ import annotations

from django.db import transaction
from django.db.models import Max

from haochaping.core.errors import ErrorCollector

from .models import Questionnaire

YES_NO = ["是", "一般", "否"]
DEFAULT_QUESTIONS = [
    {"key": "guidance_clear", "text": "服务指引是否清晰", "textEn": "Was the guidance clear?", "kind": "CHOICE", "options": YES_NO},
    {"key": "procedure_convenient", "text": "办事程序是否便利", "textEn": "Was the procedure convenient?", "kind": "CHOICE", "options": YES_NO},
    {"key": "materials_streamlined", "text": "材料手续是否精简", "textEn": "Were the materials streamlined?", "kind": "CHOICE", "options": YES_NO},
    {"key": "interface_friendly", "text": "操作界面是否友好", "textEn": "Was the interface friendly?", "kind": "CHOICE", "options": YES_NO},
    {"key": "suggestions", "text": "有何改进意见", "textEn": "Any suggestions?", "kind": "TEXT", "options": []},
]
MAX_TEXT_ANSWER = 500


def current_questionnaire(item_id: int | None) -> Questionnaire:
    """The item's own latest version, else the tenant default (created on first use)."""
    if item_id is not None:
        own = Questionnaire.objects.filter(item_id=item_id).order_by("-version").first()
        if own:
            return own
    default = Questionnaire.objects.filter(item__isnull=True).order_by("-version").first()
    if default is None:  # unsaved until a stored rating refers to it (saved_questionnaire): reads never write
        default = Questionnaire(item=None, version=1, questions=DEFAULT_QUESTIONS)
    return default


def saved_questionnaire(questionnaire: Questionnaire) -> Questionnaire:
    """The built-in default, stored on first use inside the rating's transaction."""
    if questionnaire.pk is None:
        questionnaire, _ = Questionnaire.objects.get_or_create(item=None, version=1,
                                                               defaults={"questions": questionnaire.questions})
    return questionnaire


def validate_questions(questions: list[dict], errors: ErrorCollector) -> None:
    keys = set()
    if not questions or len(questions) > 20:
        errors.add("INVALID_QUESTIONS", "questions", "问题须为1–20个", "A questionnaire has 1 to 20 questions")
    for n, question in enumerate(questions, start=1):
        key = str(question.get("key", "")).strip()
        if not key or not key.replace("_", "").isalnum() or key in keys:
            errors.add("INVALID_QUESTIONS", "questions", f"第{n}个问题的标识无效或重复", f"Question {n} has a missing or repeated key")
        keys.add(key)
        if not str(question.get("text", "")).strip():
            errors.add("INVALID_QUESTIONS", "questions", f"第{n}个问题缺少题目", f"Question {n} has no text")
        if question.get("kind") not in ("CHOICE", "TEXT"):
            errors.add("INVALID_QUESTIONS", "questions", f"第{n}个问题类型须为选择或文字", f"Question {n} must be CHOICE or TEXT")
        if question.get("kind") == "CHOICE" and len(question.get("options") or []) < 2:
            errors.add("INVALID_QUESTIONS", "questions", f"第{n}个选择题至少需要两个选项", f"Question {n} needs at least two options")


def publish_questionnaire(*, item_id: int | None, questions: list[dict], user=None) -> Questionnaire:
    errors = ErrorCollector()
    validate_questions(questions, errors)
    errors.raise_if_any()
    cleaned = [{"key": q["key"].strip(), "text": q["text"].strip(), "textEn": str(q.get("textEn", "")).strip(),
                "kind": q["kind"], "options": [str(o).strip() for o in q.get("options") or []]} for q in questions]
    with transaction.atomic():
        version = (Questionnaire.objects.select_for_update().filter(item_id=item_id)
                   .aggregate(v=Max("version"))["v"] or 0) + 1
        return Questionnaire.objects.create(item_id=item_id, version=version, questions=cleaned, published_by=user)


def clean_answers(questionnaire: Questionnaire, answers: dict, errors: ErrorCollector) -> dict:
    """Answers are optional (自愿填写); what is given must fit the questions."""
    by_key = {q["key"]: q for q in questionnaire.questions}
    cleaned = {}
    for key, value in (answers or {}).items():
        question = by_key.get(key)
        if question is None:
            errors.add("INVALID_ANSWER", "answers", f"没有这个问题：{key}", f"No such question: {key}")
            continue
        value = str(value).strip()
        if not value:
            continue
        if question["kind"] == "CHOICE" and value not in question["options"]:
            errors.add("INVALID_ANSWER", "answers", f"“{question['text']}”的回答不在选项中", f"Answer to {key} is not one of the options")
        elif len(value) > MAX_TEXT_ANSWER:
            errors.add("INVALID_ANSWER", "answers", f"“{question['text']}”的回答过长", f"Answer to {key} is too long")
        cleaned[key] = value
    return cleaned
