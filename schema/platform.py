"""The platform schema on the public host: the county agency and third-party evaluators."""
import strawberry

from .accounts.mutations import PlatformTokenMutations, RevokeTokenMutations
from .analytics.queries import PlatformAnalyticsQueries
from .accounts.queries import AccountQueries
from .assessments.mutations import EvaluatorMutations
from .assessments.queries import EvaluatorQueries
from .catalog.mutations import CatalogMutations
from .catalog.queries import CatalogQueries
from .core.build import build_schema
from .surveys.mutations import CountySurveyMutations
from .surveys.queries import CountySurveyQueries
from .feedback.mutations import PlatformFeedbackMutations
from .feedback.queries import PlatformFeedbackQueries
from .feedback.workorders import WorkOrderMutations, WorkOrderQueries
from .integrity.mutations import IntegrityMutations
from .integrity.queries import IntegrityQueries
from .rectification.mutations import CountyRectificationMutations
from .supervision.mutations import SupervisionMutations
from .supervision.notices import NoticeMutations, NoticeQueries
from .supervision.queries import SupervisionQueries
from .tenancy.mutations import TenancyMutations
from .tenancy.queries import PlatformTenantQueries
from .workcalendar.mutations import WorkCalendarMutations
from .workcalendar.queries import WorkCalendarQueries


@strawberry.type
class Query(EvaluatorQueries, CountySurveyQueries, AccountQueries, CatalogQueries, PlatformTenantQueries, IntegrityQueries, WorkCalendarQueries,
            SupervisionQueries, PlatformAnalyticsQueries, NoticeQueries,
            PlatformFeedbackQueries, WorkOrderQueries):
    pass


@strawberry.type
class Mutation(EvaluatorMutations, CountySurveyMutations, TenancyMutations, CatalogMutations, PlatformTokenMutations, RevokeTokenMutations, IntegrityMutations,
               CountyRectificationMutations, WorkCalendarMutations, SupervisionMutations, NoticeMutations,
               PlatformFeedbackMutations, WorkOrderMutations):
    pass


schema = build_schema(Query, Mutation)
