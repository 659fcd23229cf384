"""Demo catalogue and two years of citizen requests (this year's in every state), made through the
workflow itself."""

import random
from datetime import date, timedelta

from django.utils import timezone

from qms_portal.organisation.models import Department

from . import intake, workflow
from .models import ApiKey, Holiday, Service, ServiceQuestion, ServiceRequest

# Chinese public holidays and the weekend days worked to make up for them (demo calendar).
HOLIDAYS = [
    ("2025-01-01", "元旦 New Year's Day"),
    *[(f"2025-01-{d}", "春节 Spring Festival") for d in (28, 29, 30, 31)],
    *[(f"2025-02-0{d}", "春节 Spring Festival") for d in (1, 2, 3, 4)],
    ("2025-04-04", "清明节 Qingming Festival"),
    *[(f"2025-05-0{d}", "劳动节 Labour Day") for d in (1, 2, 3, 4, 5)],
    ("2025-06-02", "端午节 Dragon Boat Festival"),
    *[(f"2025-10-0{d}", "国庆节 National Day") for d in range(1, 9)],
    *[(f"2026-01-0{d}", "元旦 New Year's Day") for d in (1, 2, 3)],
    *[(f"2026-02-{d}", "春节 Spring Festival") for d in range(15, 24)],
    *[(f"2026-04-0{d}", "清明节 Qingming Festival") for d in (4, 5, 6)],
    *[(f"2026-05-0{d}", "劳动节 Labour Day") for d in (1, 2, 3, 4, 5)],
    ("2026-06-19", "端午节 Dragon Boat Festival"),
    ("2026-09-25", "中秋节 Mid-Autumn Festival"),
    *[(f"2026-10-0{d}", "国庆节 National Day") for d in range(1, 8)],
]
WORKED_WEEKEND_DAYS = [
    ("2025-01-26", "春节调休 Spring Festival swap"),
    ("2025-02-08", "春节调休 Spring Festival swap"),
    ("2025-04-27", "劳动节调休 Labour Day swap"),
    ("2025-09-28", "国庆节调休 National Day swap"),
    ("2025-10-11", "国庆节调休 National Day swap"),
    ("2026-02-14", "春节调休 Spring Festival swap"),
    ("2026-02-28", "春节调休 Spring Festival swap"),
    ("2026-09-20", "国庆节调休 National Day swap"),
    ("2026-10-10", "国庆节调休 National Day swap"),
]

# code, department, zh, en, days, group, complaint, questions
SERVICES = [
    (
        "PERMIT-BIZ",
        "PERMIT",
        "营业执照办理",
        "Business licence application",
        5,
        "permits",
        False,
        [
            (
                "BIZTYPE",
                "singlevaluelist",
                "企业类型",
                "Type of business",
                True,
                "sole|Sole trader\ncompany|Limited company\ncoop|Cooperative",
            )
        ],
    ),
    (
        "PERMIT-BUILD",
        "PERMIT",
        "建设工程规划许可",
        "Building permit",
        15,
        "permits",
        False,
        [
            ("FLOORS", "number", "楼层数", "Number of floors", True, ""),
            ("START", "datetime", "计划开工日期", "Planned start of works", False, ""),
        ],
    ),
    (
        "AAS-VENDING",
        "AAS",
        "占道经营许可",
        "Street vending permit",
        7,
        "permits",
        False,
        [
            (
                "GOODS",
                "multivaluelist",
                "经营品类",
                "What will you sell?",
                True,
                "food|Food\nfruit|Fruit and vegetables\ncrafts|Crafts\nother|Other",
            )
        ],
    ),
    ("AAS-CERT", "AAS", "证明材料开具", "Certificate of record", 3, "permits", False, []),
    (
        "URB-LIGHT",
        "URB",
        "路灯故障",
        "Street light out",
        3,
        "street",
        False,
        [("POLE", "string", "灯杆编号", "Pole number (on the pole)", False, "")],
    ),
    (
        "URB-POTHOLE",
        "URB",
        "道路坑洼",
        "Pothole in the road",
        5,
        "street",
        False,
        [
            (
                "SIZE",
                "singlevaluelist",
                "大小",
                "How big is it?",
                True,
                "small|Smaller than a plate\nmedium|Up to a metre\nlarge|Larger than a metre",
            )
        ],
    ),
    ("URB-LITTER", "URB", "垃圾清运", "Litter or dumped rubbish", 2, "sanitation", False, []),
    (
        "HOT-COMPLAINT",
        "HOT",
        "服务投诉",
        "Complaint about a service",
        5,
        "feedback",
        True,
        [
            ("WHEN", "datetime", "发生日期", "When did it happen?", False, ""),
            ("DETAIL", "text", "经过", "What happened?", True, ""),
        ],
    ),
    ("HOT-ADVICE", "HOT", "政策咨询", "Question about a policy", 3, "feedback", False, []),
    (
        "FIN-REFUND",
        "FIN",
        "非税收入退付",
        "Refund of a fee paid",
        10,
        "payments",
        False,
        [("AMOUNT", "number", "金额（元）", "Amount (yuan)", True, "")],
    ),
    ("HR-RECORDS", "HR", "人事档案查询", "Personnel record enquiry", 5, "records", False, []),
]

DESCRIPTIONS = {
    "permits": [
        "申请办理，材料已准备齐全。 Application with all documents ready.",
        "请告知还需补充哪些材料。 Which documents are missing?",
    ],
    "street": [
        "江海路与建设路口。 At the corner of Jianghai Road and Jianshe Road.",
        "小区门口附近。 Near the estate gate.",
    ],
    "sanitation": ["垃圾已堆放三天。 Rubbish has been left for three days."],
    "feedback": [
        "窗口等待时间过长。 Waited too long at the counter.",
        "希望了解补贴政策。 Asking about the subsidy policy.",
    ],
    "payments": ["重复缴费，申请退还。 Paid twice; please refund."],
    "records": ["需要查询本人档案。 I need to see my record."],
}

HANDLERS = {
    "PERMIT": "staff.zhou",
    "AAS": "staff.huang",
    "URB": "staff.wu",
    "HOT": "staff.xu",
    "FIN": "staff.liu",
    "HR": "staff.ma",
}
# Final state of each demo request, cycling: every state appears for every service.
PLAN = [
    "closed",
    "closed",
    "resolved",
    "closed",
    "rejected",
    "in_progress",
    "acknowledged",
    "received",
    "closed",
    "transferred",
]
FINISHED_PLANS = {"closed", "resolved", "rejected", "transferred"}


def seed(*, agency, people, stdout):
    if Service.objects.filter(agency=agency).exists():
        return
    departments = {d.code: d for d in Department.objects.filter(agency=agency)}
    _holidays(agency)
    services = _catalogue(agency, departments)
    ApiKey.objects.get_or_create(name="12345 hotline app (demo)")
    rng = random.Random(2026)
    now = timezone.now()
    count = 0
    for index, service in enumerate(services):
        for n in range(22):
            if n < 10:  # this year: every state
                days_ago = 360 - (n * 30 + index * 2) % 360
                plan = PLAN[(n + index) % len(PLAN)]
            elif n < 20:  # the year before: long finished, so last year's figures are complete
                days_ago = 720 - (n * 30 + index * 2) % 360
                plan = PLAN[(n + index) % len(PLAN)]
                plan = plan if plan in FINISHED_PLANS else "closed"
            else:
                days_ago, plan = rng.randint(0, 4), "received"
            submitted = now - timedelta(days=days_ago, hours=rng.randint(0, 8))
            _make_request(service, plan, submitted, now, people, departments, rng)
            count += 1
    stdout.write(f"  services: {len(services)} services, {count} citizen requests")


def _holidays(agency):
    rows = [(d, name, False) for d, name in HOLIDAYS] + [
        (d, n, True) for d, n in WORKED_WEEKEND_DAYS
    ]
    Holiday.objects.bulk_create(
        [
            Holiday(agency=agency, date=date.fromisoformat(d), name=name, is_working_day=worked)
            for d, name, worked in rows
        ]
    )


def _catalogue(agency, departments):
    services = []
    for code, department, zh, en, days, group, complaint, questions in SERVICES:
        service = Service.objects.create(
            agency=agency,
            code=code,
            name_zh=zh,
            name_en=en,
            description_zh=f"{zh}：在线提交，{days}个工作日内办结。",
            description_en=f"{en}: apply online; completed within {days} working days.",
            department=departments[department],
            commitment_days=days,
            group=group,
            keywords=group,
            service_notice=f"We will reply within {days} working days.",
            is_complaint=complaint,
            open311_type=Service.Open311Type.BATCH
            if code == "HOT-ADVICE"
            else Service.Open311Type.REALTIME,
        )
        for order, (qcode, kind, qzh, qen, required, choices) in enumerate(questions, 1):
            ServiceQuestion.objects.create(
                service=service,
                code=qcode,
                kind=kind,
                text_zh=qzh,
                text_en=qen,
                required=required,
                order=order,
                choices=choices,
            )
        services.append(service)
    return services


def _answers(service):
    raw = {}
    for question in service.questions.all():
        if question.is_choice:
            raw[question.code] = [question.choice_list[0][0]]
        elif question.kind == "number":
            raw[question.code] = ["3"]
        elif question.kind == "datetime":
            raw[question.code] = ["2026-03-02"]
        else:
            raw[question.code] = ["见描述 See description"]
    return raw


def _make_request(service, plan, submitted, now, people, departments, rng):
    department = service.department
    handler = people[HANDLERS.get(department.code, "qm.li")]
    submission = intake.clean_submission(
        questions=list(service.questions.all()),
        data={
            "description": rng.choice(DESCRIPTIONS[service.group]),
            "address": "江门市蓬江区建设路 1 号 1 Jianshe Road, Pengjiang, Jiangmen"
            if service.group == "street"
            else "",
            "lat": "22.5790" if service.group == "street" else "",
            "long": "113.0815" if service.group == "street" else "",
            "citizen_name": "陈先生 Mr Chen",
            "citizen_email": "citizen@example.org",
        },
        raw_answers=_answers(service),
    )
    channel = ServiceRequest.Channel.OPEN311 if rng.random() < 0.3 else ServiceRequest.Channel.WEB
    request = workflow.submit_request(
        service=service, submission=submission, channel=channel, at=submitted
    )

    def at(days):
        return min(submitted + timedelta(days=days, hours=2), now)

    pk = request.pk
    if plan == "received":
        return
    if plan == "transferred":
        target = departments["HOT"] if department.code != "HOT" else departments["URB"]
        workflow.transfer(
            request_id=pk,
            actor=handler,
            department=target,
            reason="Belongs to the other department.",
            at=at(1),
        )
        return
    if plan == "rejected":
        workflow.reject(
            request_id=pk,
            actor=handler,
            reason="This is not within our remit; please contact the district office.",
            at=at(1),
        )
        return
    workflow.acknowledge(
        request_id=pk, actor=handler, note="We have received your request.", at=at(1)
    )
    if plan == "acknowledged":
        return
    workflow.assign(request_id=pk, actor=handler, assignee=handler, at=at(1))
    workflow.start_work(request_id=pk, actor=handler, at=at(2))
    workflow.add_update(
        request_id=pk,
        actor=handler,
        text="Checked on site; contractor booked.",
        public=False,
        at=at(2),
    )
    if plan == "in_progress":
        return
    late = rng.random() < 0.2
    resolved_after = service.commitment_days * (2 if late else 1) - 1
    workflow.resolve(
        request_id=pk,
        actor=handler,
        note="Done. Thank you for telling us.",
        at=at(max(resolved_after, 2)),
    )
    workflow.rate(
        tracking_code=request.tracking_code,
        score=rng.choice([5, 5, 4, 4, 3, 2] if not late else [3, 2, 1]),
        comment=rng.choice(["", "Quick and friendly.", "Took too long."]),
        at=at(max(resolved_after, 2) + 1),
    )
    if plan == "closed":
        workflow.close(request_id=pk, actor=handler, at=at(max(resolved_after, 2) + 3))
