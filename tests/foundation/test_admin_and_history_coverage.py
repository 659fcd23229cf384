"""Every table of the portal's apps is open to administrators and keeps history, or says why not.

A new model fails these tests until it is registered in the admin (or shown inline in a registered
admin) and given simple-history history, or listed below with the reason it needs neither.
"""

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from simple_history.models import HistoricalChanges

PROJECT_APPS = {
    "organisation",
    "documents",
    "processes",
    "auditing",
    "capa",
    "review",
    "packs",
    "assessment",
    "services",
    "retention",
}

#: Internal tables administrators do not manage through the admin, and why.
NOT_IN_ADMIN = {
    # django-guardian object-permission rows: granted and revoked by the workflow functions
    # (sharing a department, naming a reader); GuardedModelAdmin shows them per object.
    "organisation.DepartmentUserObjectPermission",
    "organisation.DepartmentGroupObjectPermission",
    "documents.DocumentUserObjectPermission",
    "documents.DocumentGroupObjectPermission",
    "packs.EvidencePackUserObjectPermission",
    "packs.EvidencePackGroupObjectPermission",
}

#: Tables without simple-history history, and why that is right.
NO_HISTORY = {
    # Machinery, not quality records:
    "organisation.OutboxTask": "a queue of tasks for the broker, emptied as they are published",
    "organisation.AuditChainHead": "the audit trail's own bookkeeping; verify_audit_trail checks it",
    "organisation.ReferenceSequence": "a counter; every reference taken shows in its record's history",
    "organisation.SealedChainHead": "written once, never changed; sealed by a key outside the database",
    "organisation.FailedSignIn": "a security log written once per failed sign-in, never changed",
    "organisation.DepartmentUserObjectPermission": "django-guardian grant, written by workflows",
    "organisation.DepartmentGroupObjectPermission": "django-guardian grant, written by workflows",
    "documents.DocumentUserObjectPermission": "django-guardian grant, written by workflows",
    "documents.DocumentGroupObjectPermission": "django-guardian grant, written by workflows",
    "packs.EvidencePackUserObjectPermission": "django-guardian grant, written by workflows",
    "packs.EvidencePackGroupObjectPermission": "django-guardian grant, written by workflows",
}


def project_models():
    return [
        model
        for model in apps.get_models()
        if model._meta.app_label in PROJECT_APPS
        and not issubclass(model, HistoricalChanges)  # the history tables themselves
        and not model._meta.proxy
    ]


def shown_inline():
    return {
        inline.model
        for model_admin in admin.site._registry.values()
        for inline in model_admin.inlines
    }


def test_every_project_model_is_in_the_admin_or_listed_as_internal():
    inline = shown_inline()
    missing = [
        model._meta.label
        for model in project_models()
        if not admin.site.is_registered(model)
        and model not in inline
        and model._meta.label not in NOT_IN_ADMIN
    ]
    assert missing == [], "register these in admin.py or list them in NOT_IN_ADMIN with a reason"


def test_every_project_model_keeps_history_or_says_why_not():
    missing = [
        model._meta.label
        for model in project_models()
        if not hasattr(model, "history") and model._meta.label not in NO_HISTORY
    ]
    assert missing == [], "give these HistoricalRecords or list them in NO_HISTORY with a reason"


def test_the_allow_lists_name_only_real_tables_that_need_them():
    labels = {model._meta.label: model for model in project_models()}
    for label in NOT_IN_ADMIN:
        assert label in labels and not admin.site.is_registered(labels[label]), label
    for label in NO_HISTORY:
        assert label in labels and not hasattr(labels[label], "history"), label


@pytest.mark.django_db
@pytest.mark.parametrize(
    "label",
    [
        "organisation.OutboxTask",
        "organisation.AuditChainHead",
        "organisation.FailedSignIn",
        "services.RequestPhoto",
    ],
)
def test_machinery_is_shown_to_administrators_read_only(label, admin_user):
    model = apps.get_model(label)
    model_admin = admin.site._registry[model]
    client = Client()
    client.force_login(admin_user)
    info = (model._meta.app_label, model._meta.model_name)
    assert client.get(reverse("admin:{}_{}_changelist".format(*info))).status_code == 200
    assert client.get(reverse("admin:{}_{}_add".format(*info))).status_code == 403
    request = type("Request", (), {"user": admin_user})()
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
