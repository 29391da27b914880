"""The tenant schema on each tenant host: its reference data, admins, devices and business systems."""
import strawberry

from .accounts.mutations import RevokeTokenMutations, TenantTokenMutations
from .accounts.queries import AccountQueries
from .assessments.mutations import TenantEvaluatorMutations
from .assessments.queries import TenantEvaluatorQueries
from .analytics.mutations import AnalyticsMutations
from .analytics.queries import TenantAnalyticsQueries
from .boards.mutations import BoardMutations
from .boards.queries import BoardQueries
from .boards.subscriptions import BoardSubscriptions
from .catalog.queries import CatalogQueries
from .core.build import build_schema
from .surveys.mutations import SurveyMutations
from .surveys.queries import SurveyQueries
from .evaluations.mutations import EvaluationMutations
from .evaluations.paper import PaperFormMutations
from .evaluations.queries import EvaluationQueries
from .feedback.mutations import FeedbackMutations
from .feedback.queries import FeedbackQueries
from .items.mutations import ItemMutations
from .items.queries import ItemQueries
from .organizations.mutations import OrganizationMutations
from .organizations.queries import OrganizationQueries
from .rectification.mutations import RectificationMutations
from .rectification.queries import RectificationQueries
from .supervision.mutations import TenantSupervisionMutations
from .supervision.queries import TenantSupervisionQueries
from .tenancy.queries import TenantSelfQueries


@strawberry.type
class Query(TenantEvaluatorQueries, SurveyQueries, TenantSelfQueries, AccountQueries, OrganizationQueries, ItemQueries, CatalogQueries, EvaluationQueries,
            RectificationQueries, TenantSupervisionQueries, BoardQueries, TenantAnalyticsQueries,
            FeedbackQueries):
    pass


@strawberry.type
class Mutation(TenantEvaluatorMutations, SurveyMutations, OrganizationMutations, ItemMutations, TenantTokenMutations, RevokeTokenMutations, EvaluationMutations,
               PaperFormMutations, RectificationMutations, TenantSupervisionMutations, BoardMutations,
               AnalyticsMutations, FeedbackMutations):
    pass


@strawberry.type(description="Served over websockets (graphql-transport-ws) on this host's /graphql/")
class Subscription(BoardSubscriptions):
    pass


schema = build_schema(Query, Mutation, Subscription)
