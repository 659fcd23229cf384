"""The default indicator catalogue of the local-government self-assessment (ISO 18091 style).

Forty indicators in the four areas, with names and descriptions written for this portal (not taken
from the standard), the codes of the departments usually responsible, and — where the portal holds
data — the figure that proposes a level and its default thresholds. :func:`load_catalogue` copies
the set into an agency's own, editable catalogue. It is run by ``assessment_create`` for an agency
without a catalogue and by the demo; migration ``assessment 0002_indicator_catalogue`` holds a
literal copy of the set for agencies that exist when it runs.
"""

from decimal import Decimal

G, E, S, V = "governance", "economic", "social", "environment"

#: source → (direction, green threshold, red threshold); see proposals.SOURCES.
DEFAULT_THRESHOLDS = {
    "service_on_time": ("higher", Decimal("95"), Decimal("85")),
    "satisfaction": ("higher", Decimal("4.2"), Decimal("3.5")),
    "open_nonconformities": ("lower", Decimal("3"), Decimal("8")),
    "kpi_red_share": ("lower", Decimal("10"), Decimal("25")),
    "documents_overdue": ("lower", Decimal("0"), Decimal("3")),
    "actions_overdue": ("lower", Decimal("2"), Decimal("6")),
}

# code, area, name (zh), name (en), description (zh), description (en), departments, data source
INDICATORS = [
    # Institutional development for good governance
    ("G01", G, "质量管理体系有效运行", "Quality system in working order",
     "质量方针、程序和记录保持现行有效，按期评审。",
     "Policy, procedures and records are current and reviewed on time.",
     ["QA"], "documents_overdue"),
    ("G02", G, "问题整改闭环", "Problems followed through to closure",
     "发现的不符合及时分析原因并有效整改，未关闭的问题保持在少数。",
     "Nonconformities found are analysed and corrected; few remain open.",
     ["QA"], "open_nonconformities"),
    ("G03", G, "改进措施按期完成", "Improvement actions done on time",
     "各类改进和纠正措施在承诺日期前完成。",
     "Corrective and improvement actions are finished by their due dates.",
     ["QA", "GO"], "actions_overdue"),
    ("G04", G, "绩效指标达标", "Performance targets met",
     "各流程的关键绩效指标大多处于目标范围内。",
     "Most process KPIs stay within their targets.",
     ["QA"], "kpi_red_share"),
    ("G05", G, "政务信息公开", "Open government information",
     "依法主动公开政策、程序、收费和办事结果，便于公众查阅。",
     "Policies, procedures, fees and results are published proactively and easy to find.",
     ["GO"], ""),
    ("G06", G, "公众参与决策", "Citizens take part in decisions",
     "重大决策前征求公众意见，并反馈意见采纳情况。",
     "The public is consulted before major decisions and told what was taken up.",
     ["GO"], ""),
    ("G07", G, "财政预算透明", "Transparent public budget",
     "预算和决算按时编制、公开，执行偏差有说明。",
     "Budgets and accounts are prepared and published on time, with variances explained.",
     ["FIN"], ""),
    ("G08", G, "廉洁风险防控", "Integrity risks under control",
     "识别岗位廉洁风险并落实防控措施，定期检查。",
     "Integrity risks of each post are identified, treated and checked regularly.",
     ["GO", "HR"], ""),
    ("G09", G, "人员能力建设", "Staff competence",
     "岗位能力要求明确，培训计划按期完成并评估效果。",
     "Competence needs are defined; training plans are delivered and evaluated.",
     ["HR"], ""),
    ("G10", G, "档案与数据管理", "Records and data management",
     "档案完整可查，个人信息和数据受到保护。",
     "Records are complete and retrievable; personal data and other data are protected.",
     ["ARCH", "GO"], ""),
    # Sustainable economic development
    ("E01", E, "审批服务按时办结", "Permits decided on time",
     "行政审批和公共服务在承诺时限内办结。",
     "Permits and public services are completed within the promised time.",
     ["AAS", "PERMIT"], "service_on_time"),
    ("E02", E, "营商环境便利", "Easy to do business",
     "企业办事环节、材料和时间持续压减。",
     "Steps, documents and time needed by businesses keep going down.",
     ["AAS"], ""),
    ("E03", E, "企业满意度", "Business satisfaction",
     "企业对办事服务的评价处于较高水平。",
     "Businesses rate the services they receive highly.",
     ["AAS"], "satisfaction"),
    ("E04", E, "政府采购规范", "Sound public procurement",
     "采购程序公开竞争，合同按约履行并验收。",
     "Purchases are open and competitive; contracts are performed and accepted properly.",
     ["FIN"], ""),
    ("E05", E, "按时支付供应商", "Suppliers paid on time",
     "对供应商和中小企业的付款在约定期限内完成。",
     "Suppliers and small businesses are paid within the agreed terms.",
     ["FIN"], ""),
    ("E06", E, "促进就业", "Support for employment",
     "为求职者和用人单位提供对接服务并跟踪成效。",
     "Job seekers and employers are matched and the results followed up.",
     ["HR"], ""),
    ("E07", E, "地方特色产业扶持", "Support for local industries",
     "对本地特色产业的扶持政策落实到位并评估效果。",
     "Support policies for local industries are carried out and their effect assessed.",
     ["AAS"], ""),
    ("E08", E, "公共资产管理", "Public asset management",
     "公共资产账实相符，维护和处置符合规定。",
     "Public assets match the books and are maintained and disposed of properly.",
     ["FIN", "GO"], ""),
    ("E09", E, "数字政务服务", "Digital public services",
     "可在线办理的事项比例持续提高，系统稳定可用。",
     "More services can be completed online, and the systems are reliable.",
     ["AAS", "HOT"], ""),
    ("E10", E, "旅游与城市形象", "Tourism and city image",
     "城市公共空间和服务设施支持旅游发展。",
     "Public spaces and visitor facilities support tourism.",
     ["URB"], ""),
    # Inclusive social development
    ("S01", S, "市民满意度", "Citizen satisfaction",
     "市民对办事和热线服务的评价处于较高水平。",
     "Citizens rate counter and hotline services highly.",
     ["HOT", "AAS"], "satisfaction"),
    ("S02", S, "诉求按时办理", "Citizen requests handled on time",
     "市民诉求和投诉在承诺时限内答复和办结。",
     "Citizen requests and complaints are answered and resolved within the promised time.",
     ["HOT"], "service_on_time"),
    ("S03", S, "弱势群体服务可及", "Services reach vulnerable groups",
     "老年人、残障人士等群体可便利地获得服务。",
     "Older people, people with disabilities and other groups can use the services easily.",
     ["AAS", "HOT"], ""),
    ("S04", S, "无障碍设施", "Accessible premises",
     "办事场所和公共设施满足无障碍要求。",
     "Service premises and public facilities are accessible to everyone.",
     ["GO", "URB"], ""),
    ("S05", S, "公共安全", "Public safety",
     "公共场所安全隐患及时发现和消除。",
     "Safety hazards in public places are found and removed promptly.",
     ["URB"], ""),
    ("S06", S, "应急准备", "Emergency preparedness",
     "应急预案现行有效，按计划演练并改进。",
     "Emergency plans are current, rehearsed as planned and improved.",
     ["GO"], ""),
    ("S07", S, "教育与培训机会", "Learning opportunities",
     "为市民提供公共培训和学习资源。",
     "Citizens have access to public training and learning resources.",
     ["HR"], ""),
    ("S08", S, "社区参与", "Community involvement",
     "社区组织和志愿者参与公共服务。",
     "Community groups and volunteers take part in public services.",
     ["GO"], ""),
    ("S09", S, "性别平等", "Gender equality",
     "招聘、晋升和服务中落实性别平等。",
     "Recruitment, promotion and services treat women and men equally.",
     ["HR"], ""),
    ("S10", S, "个人信息保护", "Protection of personal information",
     "收集和使用市民个人信息合法、必要并受保护。",
     "Citizens' personal information is collected lawfully, only when needed, and protected.",
     ["ARCH", "HOT"], ""),
    # Sustainable environmental development
    ("V01", V, "市容环境整洁", "Clean streets and public spaces",
     "道路和公共空间保洁达到标准，问题及时处置。",
     "Streets and public spaces are kept clean and problems are dealt with promptly.",
     ["URB"], ""),
    ("V02", V, "垃圾分类与减量", "Waste sorting and reduction",
     "生活垃圾分类覆盖面和回收利用率持续提高。",
     "Waste sorting covers more households and more waste is recycled.",
     ["URB"], ""),
    ("V03", V, "节约能源", "Energy saving",
     "机关办公能耗逐年下降。",
     "Energy used in public offices goes down year by year.",
     ["GO"], ""),
    ("V04", V, "节约用水", "Water saving",
     "机关和公共设施用水得到计量和控制。",
     "Water used in offices and public facilities is metered and controlled.",
     ["GO"], ""),
    ("V05", V, "绿色采购", "Green purchasing",
     "采购优先选择节能环保产品和服务。",
     "Purchases favour energy-efficient and environmentally friendly products.",
     ["FIN"], ""),
    ("V06", V, "城市绿化", "Urban green space",
     "绿地面积和树木养护达到规划要求。",
     "Green space and tree care meet the city plan.",
     ["URB"], ""),
    ("V07", V, "噪声与空气投诉处理", "Noise and air complaints handled",
     "噪声、油烟等环境投诉及时受理和办结。",
     "Complaints about noise, fumes and air are taken up and resolved promptly.",
     ["URB", "HOT"], "service_on_time"),
    ("V08", V, "无纸化办公", "Less paper",
     "电子公文和电子档案减少纸张消耗。",
     "Electronic documents and records reduce paper use.",
     ["GO", "ARCH"], ""),
    ("V09", V, "绿色出行", "Sustainable transport",
     "鼓励步行、骑行和公共交通出行。",
     "Walking, cycling and public transport are encouraged.",
     ["URB"], ""),
    ("V10", V, "气候适应", "Climate adaptation",
     "识别极端天气风险并落实应对措施。",
     "Extreme-weather risks are identified and measures put in place.",
     ["URB", "GO"], ""),
]  # fmt: skip


def load_catalogue(agency_id, *, Indicator=None, Department=None):
    """Give an agency the default catalogue: adds indicators it lacks, never changes edited ones.

    Model classes may be passed in (a migration passes its historical models). Returns how many
    indicators were added.
    """
    if Indicator is None:
        from .models import Indicator
    if Department is None:
        from qms_portal.organisation.models import Department
    existing = set(Indicator.objects.filter(agency_id=agency_id).values_list("code", flat=True))
    departments = {d.code: d for d in Department.objects.filter(agency_id=agency_id)}
    added = 0
    for position, row in enumerate(INDICATORS, start=1):
        code, area, name_zh, name_en, text_zh, text_en, dept_codes, source = row
        if code in existing:
            continue
        direction, green, red = DEFAULT_THRESHOLDS.get(source, ("higher", None, None))
        indicator = Indicator(
            agency_id=agency_id,
            code=code,
            area=area,
            position=position,
            name_zh=name_zh,
            name_en=name_en,
            description_zh=text_zh,
            description_en=text_en,
            data_source=source,
            direction=direction,
            green_threshold=green,
            red_threshold=red,
        )
        indicator.save()
        indicator.departments.set([departments[c] for c in dept_codes if c in departments])
        added += 1
    return added
