"""Word tables of the demo company: departments, names, titles, catalogue, summaries, reasons.

Pure data, kept apart from the generator so the generator reads as logic. Names and words are
invented or common; e-mail domains use the reserved ``.example`` top-level domain.
"""

from __future__ import annotations

from graph.model import Channel, Function


def _words(listing: str) -> tuple[str, ...]:
    """A comma-separated list, so long word tables stay compact."""
    return tuple(word.strip() for word in listing.split(","))


COMPANY_DOMAIN = "brightwater.example"

EMEA, AMERICAS, APAC = "EMEA", "AMERICAS", "APAC"
REGIONS = (EMEA, AMERICAS, APAC)

# (name, function, region or None for a global department). The first eight hold one department
# per function, so a preset with only eight departments still has the whole company.
DEPARTMENTS: tuple[tuple[str, Function, str | None], ...] = (
    ("Sales EMEA", Function.SALES, EMEA),
    ("Brand & Digital Marketing", Function.MARKETING, None),
    ("Customer Service EMEA", Function.SERVICE, EMEA),
    ("Assembly Plant Eindhoven", Function.MANUFACTURING, EMEA),
    ("Warehouse Rotterdam", Function.WAREHOUSE, EMEA),
    ("Accounts Receivable", Function.FINANCE, None),
    ("People Operations", Function.HR, None),
    ("Product Engineering", Function.ENGINEERING, None),
    ("Sales North America", Function.SALES, AMERICAS),
    ("Sales APAC", Function.SALES, APAC),
    ("Sales LATAM", Function.SALES, AMERICAS),
    ("Key Accounts", Function.SALES, None),
    ("Inside Sales", Function.SALES, None),
    ("Channel Partners", Function.SALES, None),
    ("Product Marketing", Function.MARKETING, None),
    ("Events & Communications", Function.MARKETING, None),
    ("Marketing Operations", Function.MARKETING, None),
    ("Customer Service Americas", Function.SERVICE, AMERICAS),
    ("Customer Service APAC", Function.SERVICE, APAC),
    ("Technical Support", Function.SERVICE, None),
    ("Field Service", Function.SERVICE, None),
    ("Customer Success", Function.SERVICE, None),
    ("Assembly Plant Monterrey", Function.MANUFACTURING, AMERICAS),
    ("Machining Plant Brno", Function.MANUFACTURING, EMEA),
    ("Quality Assurance", Function.MANUFACTURING, None),
    ("Production Planning", Function.MANUFACTURING, None),
    ("Warehouse Memphis", Function.WAREHOUSE, AMERICAS),
    ("Warehouse Singapore", Function.WAREHOUSE, APAC),
    ("Returns Center", Function.WAREHOUSE, None),
    ("Accounts Payable", Function.FINANCE, None),
    ("Billing", Function.FINANCE, None),
    ("Credit Control", Function.FINANCE, None),
    ("Controlling", Function.FINANCE, None),
    ("Recruiting", Function.HR, None),
    ("Payroll", Function.HR, None),
    ("R&D Hardware", Function.ENGINEERING, None),
    ("Firmware Engineering", Function.ENGINEERING, None),
    ("Platform Engineering", Function.ENGINEERING, None),
    ("Application Engineering", Function.ENGINEERING, None),
    ("Systems Engineering", Function.ENGINEERING, None),
)

# Departments that work on orders (BUILD, PICK, SHIP, INVOICE; every sales department sells) and
# the service desks that triage new tickets.
ORDER_DESKS = frozenset(
    {
        "Assembly Plant Eindhoven",
        "Assembly Plant Monterrey",
        "Machining Plant Brno",
        "Warehouse Rotterdam",
        "Warehouse Memphis",
        "Warehouse Singapore",
        "Accounts Receivable",
        "Billing",
    }
)
FIRST_LINE = frozenset(
    {"Customer Service EMEA", "Customer Service Americas", "Customer Service APAC", "Technical Support"}
)

# Relative head count of a department of each function.
STAFFING: dict[Function, float] = {
    Function.SALES: 1.2,
    Function.MARKETING: 0.6,
    Function.SERVICE: 1.6,
    Function.MANUFACTURING: 2.2,
    Function.WAREHOUSE: 1.4,
    Function.FINANCE: 0.8,
    Function.HR: 0.5,
    Function.ENGINEERING: 1.2,
}

# The executive board: title and the functions whose department heads report to them.
EXECUTIVES: tuple[tuple[str, tuple[Function, ...]], ...] = (
    ("Chief Commercial Officer", (Function.SALES, Function.MARKETING, Function.SERVICE)),
    ("Chief Operating Officer", (Function.MANUFACTURING, Function.WAREHOUSE)),
    ("Chief Financial Officer", (Function.FINANCE,)),
    ("Chief People Officer", (Function.HR,)),
    ("Chief Technology Officer", (Function.ENGINEERING,)),
)

TITLES: dict[Function, tuple[str, ...]] = {
    Function.SALES: ("Account Executive", "Account Manager", "Key Account Manager", "Sales Engineer"),
    Function.MARKETING: ("Marketing Manager", "Content Strategist", "Campaign Specialist", "Event Manager"),
    Function.SERVICE: ("Customer Service Agent", "Support Specialist", "Service Technician", "Success Manager"),
    Function.MANUFACTURING: ("Production Operator", "Assembly Technician", "Quality Inspector", "Planner"),
    Function.WAREHOUSE: ("Warehouse Associate", "Order Picker", "Shipping Coordinator", "Forklift Operator"),
    Function.FINANCE: ("Accountant", "Billing Specialist", "Credit Analyst", "Financial Controller"),
    Function.HR: ("HR Business Partner", "Recruiter", "Payroll Specialist", "HR Generalist"),
    Function.ENGINEERING: ("Software Engineer", "Hardware Engineer", "Firmware Engineer", "Test Engineer"),
}
# Sales titles whose holders own customer accounts.
ACCOUNT_OWNER_TITLES = frozenset({"Account Executive", "Account Manager", "Key Account Manager"})

FIRST_NAMES: dict[str, tuple[str, ...]] = {
    EMEA: _words(
        "Anna, Lukas, Sofia, Jan, Emma, Mateo, Lea, Noah, Julia, Finn, Marta, Pieter, Chloé, Hugo, Ingrid, "
        "Lars, Giulia, Marco, Zofia, Tomasz, Amira, Youssef, Claire, Oliver, Freya, Henrik, Elena, Dmitri, "
        "Sanne, Bram"
    ),
    AMERICAS: _words(
        "James, Olivia, Michael, Ava, Daniel, Isabella, Ethan, Mia, Carlos, Lucía, Diego, Valentina, "
        "Jacob, Emily, Tyler, Madison, Jamal, Aaliyah, Kevin, Grace, Andrés, Camila, Ryan, Hannah, Marcus, "
        "Sophie, Luis, Gabriela"
    ),
    APAC: _words(
        "Wei, Mei, Hiroshi, Yuki, Arjun, Priya, Min-jun, Ji-woo, Siti, Budi, Nguyen, Linh, Rahul, Ananya, "
        "Kenji, Sakura, Jia, Hao, Aarav, Isha, Chloe, Liam, Ruby, Jack, Thanh, Rizal, Mai, Tomoko"
    ),
}
LAST_NAMES: dict[str, tuple[str, ...]] = {
    EMEA: _words(
        "Müller, Schmidt, de Vries, Jansen, Dubois, Martin, Rossi, Bianchi, Kowalski, Nowak, Andersson, "
        "Nielsen, García, Fernández, Novák, Svoboda, Smith, Jones, Williams, Bakker, Visser, Lefebvre, "
        "Keller, Weber, Hansen, Ivanova, Haddad, Benali, O'Brien, Costa"
    ),
    AMERICAS: _words(
        "Johnson, Brown, Davis, Miller, Wilson, Moore, Taylor, Anderson, Thomas, Hernández, López, "
        "González, Rodríguez, Martínez, Pérez, Clark, Lewis, Walker, Hall, Young, Silva, Santos, Oliveira, "
        "Nguyen, Kim, Patel, Robinson, Wright"
    ),
    APAC: _words(
        "Wang, Li, Zhang, Chen, Tanaka, Suzuki, Sato, Kim, Park, Lee, Sharma, Gupta, Singh, Tan, Lim, Ng, "
        "Wong, Santoso, Pham, Tran, Watanabe, Ito, Kumar, Reddy, Nakamura, Cho, Wilson, Taylor"
    ),
}

COMPANY_STEMS = _words(
    "Nord, Alpen, Blue, Iron, Silver, Harbor, Summit, Oak, Delta, Rhein, Baltic, Pacific, Prairie, "
    "Granite, Falcon, Cedar, Maple, Crown, Vertex, Lotus, Sakura, Atlas, Polar, Solar, River, Stone, "
    "Eagle, Coral, Bright, Unity"
)
COMPANY_ENDINGS = _words(
    "wind, tech, line, works, field, point, gate, bridge, mark, stream, core, forge, crest, wave, port, "
    "dale, way, star, hill, ridge"
)
INDUSTRIES = _words(
    "Logistics, Packaging, Automotive, Foods, Pharma, Plastics, Textiles, Energy, Water, Chemicals, "
    "Printing, Robotics, Beverages, Paper, Metals, Glass, Brewing, Mining, Labs, Building Systems"
)
COMPANY_SUFFIXES: dict[str, tuple[str, ...]] = {
    EMEA: ("GmbH", "B.V.", "Ltd", "S.A.", "AG", "S.p.A.", "AB", "SE", "A/S", "S.r.l."),
    AMERICAS: ("Inc.", "LLC", "Corp.", "Co.", "Ltda.", "S.A. de C.V."),
    APAC: ("Pte. Ltd.", "K.K.", "Pty Ltd", "Co., Ltd.", "Sdn. Bhd.", "Ltd."),
}
COMPANY_MAILBOXES = ("purchasing", "procurement", "orders", "accounts.payable", "operations")
CONSUMER_DOMAINS = ("mail.example", "post.example", "inbox.example", "home.example")

# (sku code, category, product types, lowest and highest list price in EUR, popularity weight)
CATALOGUE: tuple[tuple[str, str, tuple[str, ...], float, float, float], ...] = (
    ("CTL", "Controllers", ("Controller", "PLC", "Motion Controller"), 400, 6000, 1.0),
    ("SNS", "Sensors", ("Pressure Sensor", "Temperature Sensor", "Flow Sensor", "Vision Sensor"), 40, 900, 1.6),
    ("DRV", "Drives", ("Servo Drive", "Frequency Inverter", "Stepper Drive"), 300, 8000, 0.9),
    ("MTR", "Motors", ("Servo Motor", "Gear Motor", "Linear Actuator"), 200, 5000, 0.8),
    ("HMI", "Operator Panels", ("Touch Panel", "Operator Terminal"), 300, 4000, 0.6),
    ("NET", "Networking", ("Industrial Switch", "IoT Gateway", "Wireless Access Point"), 150, 2500, 0.7),
    ("CBL", "Cables & Connectors", ("Sensor Cable", "Power Cable", "Connector Kit"), 5, 150, 1.4),
    ("SPR", "Spare Parts", ("Fan Module", "Power Supply", "Relay Kit", "Battery Pack"), 10, 400, 1.2),
    ("SWL", "Software", ("Engineering Suite License", "Monitoring Subscription", "Analytics Add-on"), 200, 20000, 0.5),
    ("SVC", "Services", ("Commissioning Day", "Operator Training", "Extended Warranty"), 500, 5000, 0.4),
)
SERIES = _words(
    "Aurora, Vega, Orion, Helix, Nova, Atlas, Lumen, Kestrel, Pulsar, Quanta, Sirius, Tundra, Zephyr, "
    "Cobalt, Meridian, Apex"
)

# What each function talks to customers about; "{product}" is filled with catalogue names.
TOPICS: dict[Function, tuple[str, ...]] = {
    Function.SALES: _words(
        "quote for {product}, renewal of the framework agreement, volume discount on {product}, "
        "upgrade path to {product}, delivery dates for the next order, new project requiring {product}, "
        "price increase announcement, quarterly account review"
    ),
    Function.MARKETING: _words(
        "webinar on predictive maintenance, datasheet download for {product}, trade fair invitation, "
        "customer reference story, newsletter subscription, product launch of {product}, "
        "satisfaction survey"
    ),
    Function.SERVICE: _words(
        "fault report on {product}, installation help for {product}, warranty claim for {product}, "
        "status of an open ticket, spare part availability, maintenance contract questions, "
        "error code on {product}"
    ),
    Function.MANUFACTURING: _words(
        "custom configuration of {product}, production slot for a large order, "
        "quality certificate for {product}, factory acceptance test, batch traceability request"
    ),
    Function.WAREHOUSE: _words(
        "delivery tracking, partial shipment of {product}, return of {product}, "
        "delivery window at the loading dock, damaged packaging on arrival, customs papers"
    ),
    Function.FINANCE: _words(
        "invoice copy request, payment reminder, credit note for a returned {product}, "
        "change of billing address, VAT number correction, payment plan, remittance advice"
    ),
    Function.HR: _words(
        "supplier code of conduct audit, on-site safety induction for our technicians, "
        "joint apprenticeship programme, reference check for a former employee, background checks for site access"
    ),
    Function.ENGINEERING: _words(
        "API integration with {product}, firmware roadmap for {product}, root cause analysis on {product}, "
        "custom feature request, security advisory for {product}, interface specification review"
    ),
}
CHANNEL_PHRASES: dict[Channel, str] = {
    Channel.EMAIL: "Email about {topic}",
    Channel.PHONE: "Call about {topic}",
    Channel.CHAT: "Chat about {topic}",
    Channel.SOCIAL: "LinkedIn message about {topic}",
    Channel.MEETING: "Meeting on {topic}",
    Channel.WEB: "Web form: {topic}",
    Channel.PORTAL: "Portal request: {topic}",
}

# Ticket subjects by topic; each topic has a function that usually takes over from service.
TICKET_TOPICS: tuple[tuple[Function, tuple[str, ...]], ...] = (
    (
        Function.ENGINEERING,
        _words(
            "{product} reboots under load, {product} firmware update fails, {product} shows error E{code}, "
            "Cannot connect {product} to the network, {product} readings drift, License key rejected"
        ),
    ),
    (
        Function.FINANCE,
        _words(
            "Invoice {code} shows the wrong VAT, Duplicate invoice {code}, Credit note missing, "
            "Payment not allocated, Wrong price on invoice {code}"
        ),
    ),
    (
        Function.WAREHOUSE,
        _words(
            "Delivery of {product} incomplete, Shipment {code} not arrived, Wrong item delivered, "
            "{product} damaged in transit, Return label needed for {product}"
        ),
    ),
    (
        Function.MANUFACTURING,
        ("{product} fails acceptance test", "Batch {code} out of tolerance", "Missing test certificate"),
    ),
    (Function.SALES, ("Contract renewal question", "Discount not applied", "Change of order quantities")),
)
TICKET_TOPIC_WEIGHTS = (40.0, 22.0, 22.0, 8.0, 8.0)

TRIAGE_REASONS = ("triage", "triage: new ticket from the portal", "triage: email to support", "triage: phone call")
HAND_OFF_REASONS: dict[Function, tuple[str, ...]] = {
    Function.SERVICE: (
        "back to service to inform the customer",
        "fix proposed, customer to confirm",
        "customer input needed",
        "back to first line",
    ),
    Function.ENGINEERING: ("needs technical diagnosis", "suspected firmware defect", "reproduce in the lab"),
    Function.FINANCE: ("billing question", "credit note required", "payment dispute"),
    Function.WAREHOUSE: ("shipment trace requested", "replacement to be shipped", "return to be booked"),
    Function.MANUFACTURING: ("possible production defect", "batch quality check", "rework needed"),
    Function.SALES: ("commercial decision needed", "contract terms question", "goodwill approval"),
}
SAME_FUNCTION_REASONS = ("reassigned to a specialist colleague", "shift hand-over", "escalated to team lead")
