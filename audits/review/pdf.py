"""Management review minutes as PDF, with the chair's signature printed on them."""

from ..auditing.pdf import render_pdf


def review_minutes_pdf(review):
    return render_pdf(
        "review/pdf/review_minutes.html",
        {
            "review": review,
            "inputs": review.inputs,
            "attendees": review.attendees.all(),
            "actions": review.actions.select_related("owner"),
            "signatures": review.signatures.all(),
        },
    )
