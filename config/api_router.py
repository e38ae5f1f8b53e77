"""Every REST API v1 route, registered on one router."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from initiatives.api import views
from initiatives.api.schema_view import SchemaView, SwaggerView
from tracker.api import views as tracker_views

router = DefaultRouter()
router.register("agencies", views.AgencyViewSet, basename="agency")
router.register("memberships", views.MembershipViewSet, basename="membership")
router.register("initiatives", views.InitiativeViewSet, basename="initiative")
router.register("milestones", views.MilestoneViewSet, basename="milestone")
router.register("updates", views.ProgressUpdateViewSet, basename="progressupdate")
router.register("indicators", views.IndicatorViewSet, basename="indicator")
router.register("readings", views.IndicatorReadingViewSet, basename="indicatorreading")
router.register("feed-tokens", tracker_views.FeedTokenViewSet, basename="feedtoken")

app_name = "api"
urlpatterns = [
    path("", include(router.urls)),
    path("dashboard/", views.DashboardView.as_view(), name="dashboard"),
    path("calendar.ics", tracker_views.CalendarFeedView.as_view(), name="calendar"),
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", SwaggerView.as_view(url_name="api:schema"), name="docs"),
]
