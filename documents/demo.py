"""Demo documents for `seed_demo`: every state of document control, with real files and signatures."""

import io
import zipfile
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.html import escape

from qms_portal.organisation.management.commands.seed_demo import DEMO_PASSWORD
from qms_portal.organisation.models import Department
from qms_portal.statemachine import save_with_history

from . import workflow
from .models import Confidentiality, Document, DocumentType, Signature

# title, type, department, owner, state, extra
DOCUMENTS = [
    (
        "质量手册 Quality Manual",
        DocumentType.QUALITY_MANUAL,
        "QA",
        "qm.li",
        "superseded+effective",
        {"read_by": ["GO", "FIN", "AAS"]},
    ),
    (
        "质量方针与目标 Quality Policy and Objectives",
        DocumentType.POLICY,
        "QA",
        "qm.li",
        "effective",
        {"confidentiality": Confidentiality.PUBLIC},
    ),
    (
        "供应商付款程序 Supplier Payment Procedure",
        DocumentType.PROCEDURE,
        "FIN",
        "staff.wang",
        "effective",
        {"review_in_days": 20},
    ),
    (
        "差旅报销作业指导书 Travel Expense Work Instruction",
        DocumentType.WORK_INSTRUCTION,
        "FIN",
        "staff.wang",
        "in_review",
        {},
    ),
    (
        "行政许可受理程序 Permit Application Intake Procedure",
        DocumentType.PROCEDURE,
        "AAS",
        "staff.huang",
        "effective",
        {"review_in_days": -10, "read_by": ["PERMIT"]},
    ),
    (
        "窗口服务规范 Counter Service Standard",
        DocumentType.WORK_INSTRUCTION,
        "AAS",
        "staff.huang",
        "rejected",
        {},
    ),
    (
        "12345 热线工单处理程序 Hotline Ticket Handling Procedure",
        DocumentType.PROCEDURE,
        "HOT",
        "staff.xu",
        "scheduled",
        {},
    ),
    (
        "占道经营审批表 Street Vending Permit Form",
        DocumentType.FORM,
        "URB",
        "staff.wu",
        "effective",
        {"docx": True},  # readers get its stamped PDF rendition, made by LibreOffice
    ),
    (
        "人员培训程序 Staff Training Procedure",
        DocumentType.PROCEDURE,
        "HR",
        "staff.ma",
        "effective",
        {"confidentiality": Confidentiality.RESTRICTED},
    ),
    (
        "公文处理办法 Official Correspondence Handling",
        DocumentType.PROCEDURE,
        "GO",
        "staff.sun",
        "obsolete",
        {},
    ),
    (
        "档案保管期限表 Records Retention Schedule",
        DocumentType.RECORD,
        "ARCH",
        "staff.he",
        "effective",
        {"retention_years": 30},
    ),
]


def _pdf(title, number_hint, revision):
    from qms_portal.pdf import render_pdf  # the locked-down WeasyPrint call

    html = f"""<html><head><style>body {{ font-family: "Noto Sans CJK SC", "DejaVu Sans", sans-serif; }}
    h1 {{ font-size: 18pt; }} p {{ font-size: 11pt; line-height: 1.6; }}</style></head><body>
    <h1>{escape(title)}</h1><p>Revision {revision} · {escape(number_hint)}</p>
    <h2>1. 目的 Purpose</h2><p>规定本程序的适用范围和职责，确保服务过程受控。 This document sets out how the work is done,
    who is responsible, and which records are kept.</p>
    <h2>2. 职责 Responsibilities</h2><p>部门负责人对本程序的实施负责。 The head of department owns this procedure.</p>
    <h2>3. 程序 Procedure</h2><p>受理、审核、办结、归档。 Receive, check, decide, archive — within the service commitment.</p>
    <h2>4. 记录 Records</h2><p>相关记录按档案保管期限表保存。 Records are kept per the retention schedule.</p>
    </body></html>"""
    return render_pdf(html)[0]


def _docx(title):
    """A small Word form LibreOffice can open (the parts a DOCX needs, nothing more)."""
    text = f"{escape(title)} 申请人 applicant 地点 location"
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
            'package/2006/content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
            'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="word/document.xml"/></Relationships>'
        ),
        "word/document.xml": (
            '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.'
            'openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>'
            f"{text}</w:t></w:r></w:p></w:body></w:document>"
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, xml in parts.items():
            archive.writestr(name, xml)
    return buffer.getvalue()


def _file(title, department, revision, docx=False):
    if docx:
        return SimpleUploadedFile("form.docx", _docx(title))
    return SimpleUploadedFile(
        f"{department.lower()}-{revision.lower()}.pdf", _pdf(title, department, revision)
    )


def _sign(revision, person, meaning, comment=""):
    workflow.sign(
        revision_id=revision.pk,
        signer=person,
        password=DEMO_PASSWORD,
        meaning=meaning,
        comment=comment,
    )


def _through_review(revision, author, reviewer, approver, **extra):
    workflow.submit_for_review(
        revision_id=revision.pk, actor=author, reviewers=[reviewer], approvers=[approver], **extra
    )
    _sign(revision, reviewer, Signature.Meaning.REVIEWED, "Checked against current practice.")
    _sign(revision, approver, Signature.Meaning.APPROVED)


def seed(*, agency, people, stdout):
    if Document.objects.filter(agency=agency).exists():
        return  # seeded before: a second run changes nothing
    departments = {d.code: d for d in Department.objects.filter(agency=agency)}
    qm, auditor = people["qm.li"], people["auditor.chen"]
    for title, doc_type, code, owner_name, state, extra in DOCUMENTS:
        owner = people[owner_name]
        department = departments[code]
        reviewer = people["staff.liu"] if code == "FIN" and owner_name != "staff.liu" else auditor
        approver = qm if owner != qm else people["admin"]
        document = workflow.create_document(
            actor=owner,
            title=title,
            doc_type=doc_type,
            owner_department=department,
            owner=owner,
            change_summary="首次发布 First issue",
            upload=_file(title, code, "A", extra.get("docx")),
            confidentiality=extra.get("confidentiality", Confidentiality.INTERNAL),
            restricted_to=[department]
            if extra.get("confidentiality") == Confidentiality.RESTRICTED
            else (),
            retention_years=extra.get("retention_years"),
        )
        revision = document.revisions.get()
        if state in {"effective", "superseded+effective", "obsolete"}:
            _through_review(revision, owner, reviewer, approver)
        if state == "superseded+effective":
            revision = workflow.start_revision(
                document=document,
                actor=owner,
                upload=_file(title, code, "B"),
                change_summary="更新组织架构与过程图 Updated organisation chart and process map",
            )
            _through_review(revision, owner, reviewer, approver)
        if state == "in_review":
            workflow.submit_for_review(
                revision_id=revision.pk, actor=owner, reviewers=[reviewer], approvers=[approver]
            )
        if state == "rejected":
            workflow.submit_for_review(
                revision_id=revision.pk, actor=owner, reviewers=[reviewer], approvers=[approver]
            )
            _sign(
                revision,
                reviewer,
                Signature.Meaning.REJECTED,
                "第4节引用了已作废的表格 Section 4 cites a withdrawn form; please update.",
            )
        if state == "scheduled":
            _through_review(
                revision,
                owner,
                reviewer,
                approver,
                effective_date=timezone.localdate() + timedelta(days=14),
            )
        if state == "obsolete":
            workflow.make_obsolete(
                document_id=document.pk,
                actor=qm,
                reason="并入GO新办法 Replaced by the new correspondence rules",
            )
        if "review_in_days" in extra:
            document.refresh_from_db()
            document.next_review_due = timezone.localdate() + timedelta(
                days=extra["review_in_days"]
            )
            save_with_history(
                document,
                actor=qm,
                reason="demo: review date carried over from the paper register",
                update_fields=["next_review_due"],
            )
        if extra.get("read_by"):
            workflow.assign_reading(
                revision_id=revision.pk,
                actor=owner,
                departments=[departments[c] for c in extra["read_by"]],
                due_date=timezone.localdate() + timedelta(days=14),
            )
            first_reader = (
                revision.acknowledgements.exclude(person=owner).order_by("person__username").first()
            )
            if first_reader:
                workflow.record_opened(revision=revision, person=first_reader.person)
                workflow.acknowledge(revision_id=revision.pk, person=first_reader.person)
    stdout.write(
        f"Demo documents: {Document.objects.filter(agency=agency).count()} in every state."
    )
