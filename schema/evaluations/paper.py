"""书面评价表 over GraphQL: issue serials for a station, and upload a filled CSV/XLSX batch (multipart upload;
a browser session needs the CSRF token, see schema/views.py). The batch reports every row's outcome."""
from __future__ import annotations

from enum import Enum

import strawberry
from strawberry.file_uploads import Upload

from haochaping.core.errors import DomainError
from haochaping.evaluations import paper
from schema.core.context import principal
from schema.core.errors import UserError, attempt, user_errors
from schema.core.nodes import pk_for
from schema.core.permissions import ENTRY_ROLES, HasRole, allow


@strawberry.enum(description="一行的结果")
class PaperRowStatus(Enum):
    STORED = "STORED"
    FAILED = "FAILED"
    DUPLICATE = "DUPLICATE"


@strawberry.type(description="批量录入中一行（一份书面评价表）的结果")
class PaperBatchRow:
    row: int = strawberry.field(description="文件中的行号（表头为第1行）")
    serial: str
    status: PaperRowStatus
    receipt_code: str | None = strawberry.field(description="STORED/DUPLICATE：评价回执码")
    is_bad: bool
    rectification_opened: bool = strawberry.field(description="差评已开启整改")
    errors: list[UserError] = strawberry.field(description="FAILED：原因（该行未保存任何内容）")


@strawberry.type(description="书面评价表批量录入报告")
class PaperBatchReport:
    file_name: str
    stored_count: int
    failed_count: int
    duplicate_count: int
    rows: list[PaperBatchRow]


@strawberry.type
class IssuePaperFormsPayload:
    serials: list[str] | None = strawberry.field(description="新生成的表单编号（出错时为空，未生成任何表单）")
    errors: list[UserError]


@strawberry.type
class ImportPaperFormsPayload:
    report: PaperBatchReport | None = strawberry.field(description="为空：文件本身无法处理（见 errors），未保存任何内容")
    errors: list[UserError]


def batch_report_type(report: paper.BatchReport) -> PaperBatchReport:
    return PaperBatchReport(
        file_name=report.file_name, stored_count=report.stored_count, failed_count=report.failed_count,
        duplicate_count=report.duplicate_count,
        rows=[PaperBatchRow(row=r.row, serial=r.serial, status=PaperRowStatus(r.status), receipt_code=r.receipt_code,
                            is_bad=r.is_bad, rectification_opened=r.rectification_opened,
                            errors=user_errors(DomainError(errors=r.errors)))
              for r in report.rows])


@strawberry.type
class PaperFormMutations:
    @strawberry.mutation(extensions=allow(HasRole(*ENTRY_ROLES)),
                         description="为站点生成书面评价表编号（每次1–200份；打印 PDF：/paper-forms/）")
    def issue_paper_forms(self, org_id: strawberry.ID, count: int) -> IssuePaperFormsPayload:
        def run():
            pk = pk_for(org_id, "ServiceOrg", what_zh="服务机构", what_en="Service organisation", field="orgId")
            return paper.issue_paper_forms(pk, count)

        forms, errors = attempt(run)
        return IssuePaperFormsPayload(serials=[f.serial for f in forms] if forms is not None else None, errors=errors)

    @strawberry.mutation(extensions=allow(HasRole(*ENTRY_ROLES)),
                         description="上传填好的书面评价表（CSV/XLSX）：逐行录入，每行全部保存或全部不保存；重复上传不会重复保存")
    def import_paper_forms(self, info: strawberry.Info, file: Upload) -> ImportPaperFormsPayload:
        content = file.read()
        name = getattr(file, "name", "") or ""
        report, errors = attempt(lambda: paper.import_paper_batch(name, content, principal(info).user))
        return ImportPaperFormsPayload(report=batch_report_type(report) if report else None, errors=errors)


__all__ = ["PaperFormMutations"]
