"""GraphQL enums generated from the models' choices, defined once."""
import strawberry

from haochaping.accounts.models import ApiToken, Role
from haochaping.catalog.models import ItemType
from haochaping.items.models import ServiceGuide
from haochaping.organizations.models import ServiceOrg, ServicePlatform
from tenants.models import ManagementAgency, Tenant

TenantKind = strawberry.enum(Tenant.Kind, name="TenantKind")
AgencyLevel = strawberry.enum(ManagementAgency.Level, name="AgencyLevel")
CatalogItemType = strawberry.enum(ItemType, name="ItemType")
ServiceOrgKind = strawberry.enum(ServiceOrg.Kind, name="ServiceOrgKind")
ServicePlatformKind = strawberry.enum(ServicePlatform.Kind, name="ServicePlatformKind")
CaseKind = strawberry.enum(ServiceGuide.CaseKind, name="CaseKind")
ApiTokenKind = strawberry.enum(ApiToken.Kind, name="ApiTokenKind")
UserRole = strawberry.enum(Role, name="UserRole")
