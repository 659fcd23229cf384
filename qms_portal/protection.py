"""Records change only through the workflow (ISO 9001 7.5.3.2: protection of documented
information against unintended alteration and loss).

Each workflow model declares, next to its fields, when one of its records is protected
(``is_protected()``: signed, closed, effective, verified, recorded…) and which of its fields only
the workflow's transitions set (``workflow_fields``: status and what a transition stamps). This
module is the one rule built on those declarations:

* a protected record is read-only and undeletable in the admin, for everyone
  (:class:`qms_portal.organisation.admin.WorkflowRecordAdmin`), and a workflow field is never
  typed into the admin, even on a record that is not protected yet;
* a protected record refuses deletion everywhere else too — a queryset delete or a cascade from a
  department, person, process or audit (:func:`refuse_protected_deletion`, connected to every
  declaring model) — except inside an approved retention disposal run (``qms_portal.disposal``);
* signatures are always protected (:mod:`qms_portal.signatures` keeps its own guard), and so is a
  voided record (:mod:`qms_portal.voiding`): it is kept, shown as void, never removed.

A record made in error is not deleted: it is voided through the portal, with a reason.
"""

from django.utils.translation import gettext as _

from .disposal import active_disposal
from .errors import RuleError


class RecordIsProtected(RuleError):
    """A signed, closed, effective or voided record was to be deleted outside a disposal run."""

    status_code = 403


def declares_protection(model):
    """The model says when its records are protected (a workflow record, or a signature)."""
    from .signatures import SignatureBase

    return issubclass(model, SignatureBase) or callable(getattr(model, "is_protected", None))


def is_protected(obj):
    """The record may no longer be changed or deleted outside its workflow: a signature, a
    voided record, or whatever its model's ``is_protected()`` says (signed, closed, effective…)."""
    from .signatures import SignatureBase

    if isinstance(obj, SignatureBase) or getattr(obj, "voided_at", None) is not None:
        return True
    check = getattr(obj, "is_protected", None)
    return bool(callable(check) and check())


def workflow_fields(model):
    """The fields only the model's workflow sets (its status and what its transitions stamp)."""
    return tuple(getattr(model, "workflow_fields", ()))


def refuse_protected_deletion(sender, instance, **kwargs):
    """``pre_delete`` of every declaring model: refuses a protected record's deletion, however it
    was asked for (instance, queryset or cascade), except inside an approved disposal run."""
    if active_disposal() is None and is_protected(instance):
        raise RecordIsProtected(
            _(
                "%(record)s is a protected record (signed, closed, effective, recorded or void): "
                "it is never deleted. A record made in error is voided in the portal, with a reason."
            )
            % {"record": f"{instance._meta.verbose_name} {instance}"}
        )


def guard_protected_records():
    """Connect :func:`refuse_protected_deletion` to each declaring model (once models are loaded;
    signatures have their own guard in :func:`qms_portal.signatures.protect_signatures`)."""
    from django.apps import apps
    from django.db.models.signals import pre_delete

    from .signatures import SignatureBase

    for model in apps.get_models():
        if declares_protection(model) and not issubclass(model, SignatureBase):
            pre_delete.connect(
                refuse_protected_deletion,
                sender=model,
                dispatch_uid=f"protected:{model._meta.label}",
            )
