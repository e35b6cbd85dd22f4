"""The playground's example operations: one tab each, named, in the order the page shows them.

They are also the manifest ``server.cli.playground_manifest`` writes, so a deployment that
requires the safelist can still run every example.
"""

from __future__ import annotations

EXAMPLE_QUERIES: tuple[tuple[str, str], ...] = (
    (
        "Customer 360: owner, orders and who handled them, contacts, tickets",
        """query Customer360 {
  customer(id: "C000001") {
    id
    name
    email
    segment
    tier
    lifetimeValue
    since
    owner { name title department { name } }
    orders(first: 3) {
      totalCount
      nodes {
        id
        placedAt
        status
        total
        currency
        lines { quantity product { name } }
        steps { step at employee { name department { name kind } } }
      }
    }
    interactions(first: 5) {
      totalCount
      nodes { at channel summary employee { name department { name function } } }
    }
    tickets(first: 3) {
      totalCount
      nodes { id subject status priority openedAt assignee { name } }
    }
  }
}
""",
    ),
    (
        "Live from the systems of record: CRM, ERP and helpdesk side by side (null + error if one is down)",
        """query CustomerLive {
  customer(id: "C000001") {
    id
    name
    crm { leadScore pipelineValue openOpportunities { name stage amount closeDate } campaigns { name response } }
    erpAccount { erpKey currency openInvoices openBalance overdueBalance lastOrderStatus lastOrderAt }
    helpdeskSummary { openTickets ticketsTotal oldestOpenSince lastContactAt }
    owner { name availability { availability role outOfOffice { since until reason } } }
    orders(first: 3) {
      nodes {
        id
        status
        live { status shipment { carrier trackingNumber eta deliveredAt } invoice { number amount paymentState } }
        lines { quantity product { name stock { available belowReorderPoint } } }
      }
    }
    tickets(first: 3) {
      nodes { id status live { status priority updatedAt assigneeName assignee { name } } }
    }
  }
}
""",
    ),
    (
        "Platinum customers by value (next page: after: endCursor)",
        """query PlatinumCustomers {
  customers(
    filter: { tiers: [PLATINUM] }
    orderBy: { field: LIFETIME_VALUE, direction: DESC }
    first: 10
  ) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id name segment tier lifetimeValue owner { name } }
  }
}
""",
    ),
    (
        "A department and the people in it",
        """query DepartmentEmployees {
  department(id: "D001") {
    id
    name
    kind
    function
    employees(first: 20) {
      totalCount
      nodes { id name title manager { name } }
    }
  }
}
""",
    ),
    (
        "A ticket's hand-offs: to whom, from whom, when and why",
        """query TicketHandOffs {
  ticket(id: "T000001") {
    id
    subject
    status
    priority
    openedAt
    closedAt
    customer { id name tier }
    assignee { name department { name } }
    handOffs {
      at
      reason
      by { name department { name } }
      employee { name department { name function } }
    }
  }
}
""",
    ),
    (
        "Urgent tickets still open, and who holds them",
        """query UrgentOpenTickets {
  tickets(filter: { priorities: [URGENT], statuses: [OPEN, IN_PROGRESS, WAITING] }, first: 10) {
    totalCount
    nodes {
      id
      subject
      openedAt
      customer { id name tier }
      assignee { name department { name function } }
    }
  }
}
""",
    ),
    (
        "Follow a customer live: every new journey event (a subscription, streamed over SSE; record an "
        "interaction or hand off one of their tickets in another tab, or through any worker, and watch it arrive)",
        """subscription FollowCustomer {
  journeyEvents(customerId: "C000001") {
    at
    kind
    channel
    detail
    employee { name department { name } }
    ticket { id subject status delivery { state reason } }
  }
}
""",
    ),
)
