"""Journey 2: staff draft a procedure, a reviewer and an approver sign it, it becomes effective, and
the staff asked to read it open it and acknowledge it."""

from weasyprint import HTML

from documents.models import Document, Revision, Signature
from qms_portal.organisation.models import Department, Person
from tests.e2e.conftest import DEMO_PASSWORD

AUTHOR = "staff.wang"  # heads Finance
REVIEWER = "staff.liu"  # Finance
APPROVER = "qm.li"  # quality manager


def procedure_pdf(title):
    return HTML(
        string=f"<h1>{title}</h1><p>1. Count the cash twice. 2. Sign the log.</p>"
    ).write_pdf()


def sign(visitor, revision_url, meaning, comment):
    visitor.go(revision_url)
    form = visitor.page.locator("form[action$='/sign/']")
    form.locator("select[name=meaning]").select_option(meaning)
    form.locator("textarea[name=comment]").fill(comment)
    form.locator("input[name=password]").fill(DEMO_PASSWORD)
    visitor.submit(form.locator("button[type=submit]"), shot=f"signed-{meaning}")


def test_procedure_is_signed_made_effective_and_acknowledged(portal, language):
    people = {p.username: p for p in Person.objects.filter(username__in=[REVIEWER, APPROVER])}
    finance = Department.objects.get(code="FIN")
    title = f"Cash handling at the counter ({language})"

    author = portal.visit(AUTHOR)
    author.switch_language(language)
    page = author.go("/documents/new/", shot="new-document")
    form = page.locator("main form")
    form.locator("#id_title").fill(title)
    form.locator("#id_doc_type").select_option("procedure")
    form.locator("#id_owner_department").select_option(str(finance.pk))
    form.locator("#id_change_summary").fill("First issue. 首次发布。")
    form.locator("#id_file").set_input_files(
        files=[{"name": "cash.pdf", "mimeType": "application/pdf", "buffer": procedure_pdf(title)}]
    )
    author.submit_with_keyboard(form, shot="registered-draft")
    document = Document.objects.get(title=title)
    revision = document.revisions.get()
    assert revision.status == Revision.Status.DRAFT
    revision_url = revision.get_absolute_url()

    author.go(revision_url)
    submit = page.locator("form[action$='/submit/']")
    submit.locator("select[name=reviewers]").select_option(str(people[REVIEWER].pk))
    submit.locator("select[name=approvers]").select_option(str(people[APPROVER].pk))
    author.submit(submit.locator("button[type=submit]"), shot="submitted")
    revision.refresh_from_db()
    assert revision.status == Revision.Status.IN_REVIEW

    reviewer = portal.visit(REVIEWER)
    reviewer.switch_language(language)
    sign(reviewer, revision_url, Signature.Meaning.REVIEWED, "Checked against the cash rules.")
    approver = portal.visit(APPROVER)
    approver.switch_language(language)
    sign(approver, revision_url, Signature.Meaning.APPROVED, "Approved for use.")
    revision.refresh_from_db()
    assert revision.status == Revision.Status.EFFECTIVE
    assert list(revision.signatures.values_list("meaning", flat=True).order_by("signed_at")) == [
        Signature.Meaning.REVIEWED,
        Signature.Meaning.APPROVED,
    ]

    author.go(revision_url, shot="effective")
    assign = page.locator("form[action$='/assign/']")
    assign.locator("select[name=people]").select_option(str(people[REVIEWER].pk))
    author.submit(assign.locator("button[type=submit]"), shot="reading-assigned")

    reader = reviewer
    reader.go(revision_url, shot="asked-to-read")
    with reader.page.expect_download() as download:
        reader.page.locator(f"a[href$='/revisions/{revision.pk}/download/']").click()
    assert download.value.suggested_filename.endswith(".pdf")
    reader.page.reload()
    reader.arrived()
    acknowledge = reader.page.locator("form[action$='/acknowledge/']")
    reader.submit(acknowledge.locator("button[type=submit]"), shot="acknowledged")
    acknowledgement = revision.acknowledgements.get(person=people[REVIEWER])
    assert acknowledgement.opened_at and acknowledgement.acknowledged_at
    assert reader.lang() == language
