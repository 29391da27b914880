"""The platform schema on the public host: the county agency and third-party evaluators."""
import strawberry

from .accounts.mutations import PlatformTokenMutations, RevokeTokenMutations
from .analytics.queries import PlatformAnalyticsQueries
from .accounts.queries import AccountQueries
from .catalog.mutations import CatalogMutations
from .catalog.queries import CatalogQueries
from .core.build import build_schema
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
class Query(AccountQueries, CatalogQueries, PlatformTenantQueries, IntegrityQueries, WorkCalendarQueries,
            SupervisionQueries, PlatformAnalyticsQueries, NoticeQueries):
    pass


@strawberry.type
class Mutation(TenancyMutations, CatalogMutations, PlatformTokenMutations, RevokeTokenMutations, IntegrityMutations,
               CountyRectificationMutations, WorkCalendarMutations, SupervisionMutations, NoticeMutations):
    pass


schema = build_schema(Query, Mutation)
