"""专业评估 on the public portal: reports the county agency approved, with their scores and findings (no personal
data), and their attachments, which download only once the report is published."""
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from haochaping.assessments import selectors
from haochaping.assessments.services import score_dimensions


def _scores(values: dict) -> list[tuple[str, float]]:
    english = (get_language() or "").startswith("en")
    return [(en if english else zh, values[key]) for key, (zh, en) in score_dimensions().items() if key in values]


def portal_assessments(request):
    reports = [(a, _scores(a.scores)) for a in selectors.published_assessments()[:100]]
    return render(request, "web/portal_assessments.html", {"reports": reports})


def portal_assessment(request, pk: int):
    report = selectors.published_assessment(pk)
    if report is None:
        raise Http404(_("未找到该评估报告"))
    english = (get_language() or "").startswith("en")
    labels = score_dimensions()
    findings = [(f, labels.get(f.dimension, (f.dimension, f.dimension))[1 if english else 0])
                for f in report.findings.all()]
    return render(request, "web/portal_assessment.html",
                  {"report": report, "scores": _scores(report.scores), "findings": findings})


def assessment_attachment(request, pk: int, attachment_id: int):
    attachment = selectors.published_attachment(pk, attachment_id)
    if attachment is None:
        raise Http404(_("未找到该附件"))
    name = attachment.file.name or ""
    root = (Path(settings.MEDIA_ROOT) / "platform" / "assessments" / str(pk)).resolve()
    path = (Path(settings.MEDIA_ROOT) / name).resolve()
    if ".." in Path(name).parts or not path.is_relative_to(root) or not path.is_file():
        raise Http404(_("未找到该附件"))
    response = FileResponse(path.open("rb"), content_type=attachment.content_type)
    response["Content-Disposition"] = content_disposition_header(False, attachment.original_name or path.name)
    response["X-Content-Type-Options"] = "nosniff"
    return response
