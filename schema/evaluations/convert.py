"""Domain values → GraphQL types."""
from haochaping.evaluations import grades
from haochaping.evaluations.models import Evaluation as EvaluationModel
from haochaping.evaluations.models import Questionnaire as QuestionnaireModel
from haochaping.evaluations.selectors import RatingContext
from haochaping.rectification.selectors import summary_for_evaluation
from schema.core.nodes import global_id

from .types import Channel, GradeLabel, rectification_summary, Question, Questionnaire, RatingForm, SubmittedEvaluation


def questionnaire_type(questionnaire: QuestionnaireModel) -> Questionnaire:
    return Questionnaire(version=questionnaire.version, questions=[
        Question(key=q["key"], text=q["text"], text_en=q.get("textEn", ""), kind=q["kind"], options=q.get("options", []))
        for q in questionnaire.questions])


def rating_form_type(context: RatingContext) -> RatingForm:
    return RatingForm(
        tenant_name=context.tenant_name, org_name=context.org_name, window_name=context.window_name,
        staff_name=context.staff_name, item_name=context.item_name, case_number=context.case_number,
        channel=Channel(context.channel),
        labels=[GradeLabel(grade=g, label=zh, label_en=en, is_bad=grades.is_bad(g)) for g, zh, en in context.labels],
        questionnaire=questionnaire_type(context.questionnaire),
    )


def submitted(evaluation: EvaluationModel) -> SubmittedEvaluation:
    rectification = rectification_summary(summary_for_evaluation(evaluation)) if evaluation.is_bad else None
    return SubmittedEvaluation(
        id=global_id("Evaluation", evaluation.pk), grade=evaluation.grade, round=evaluation.round,
        channel=Channel(evaluation.channel), is_bad=evaluation.is_bad, is_real_name=evaluation.is_real_name,
        receipt_code=evaluation.receipt_code, rectification=rectification,
    )
