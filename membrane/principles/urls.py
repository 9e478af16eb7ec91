"""The principles' console pages; the editor's own routes live in editor_urls.py."""

from django.urls import include, path

from . import views, views_impact, views_review, views_workflow

urlpatterns = [
    path("", views.principle_list, name="principles"),
    # Before the editor's routes and `<slug>/`: "review" is a page, not a principle.
    path("review/", views_review.review_queue, name="principles-review"),
    path("", include("membrane.principles.editor_urls")),
    path("<slug:slug>/", views_workflow.principle_detail, name="principle"),
    path("<slug:slug>/diff/", views.principle_diff, name="principle-diff"),
    path("<slug:slug>/matches/", views.principle_matches, name="principle-matches"),
    path("<slug:slug>/v<int:number>/impact/", views_impact.principle_impact, name="principle-impact"),
    path("<slug:slug>/v<int:number>/<principle_step:step>/", views_workflow.principle_step, name="principle-step"),
]
