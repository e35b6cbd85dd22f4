// The explorer's only way to data: GraphQL over HTTP to the service, with the reader's token.
// Every call carries the token of the role picked (or the one pasted), so the page shows what
// the policy lets that token see; an error comes back as an Error with the GraphQL code.

const NODE = `fragment Node on PathNode {
  __typename
  ... on Customer { id name tier segment }
  ... on Employee { id name title department { id name kind } }
  ... on Department { id name kind function }
  ... on Order { id orderStatus: status placedAt total currency }
  ... on Ticket { id subject ticketStatus: status priority }
  ... on Product { id name category }
  ... on Interaction { id channel at }
}`;

const EDGE = "type startId startKind endId endKind";

export const SEARCH = `query Search($text: String!, $first: Int) {
  search(text: $text, first: $first) { score entity { ...Node } }
}
${NODE}`;

export const NEIGHBOURHOOD = `query Neighbourhood($entity: EntityRef!, $types: [RelationshipType!], $first: Int) {
  neighbourhood(entity: $entity, relationshipTypes: $types, first: $first) {
    truncated
    nodes { ...Node }
    relationships { ${EDGE} }
  }
}
${NODE}`;

export const SHORTEST_PATH = `query Path($from: EntityRef!, $to: EntityRef!) {
  shortestPath(from: $from, to: $to, maxHops: 8) { length nodes { ...Node } relationships { ${EDGE} } }
}
${NODE}`;

export const ALL_SHORTEST_PATHS = `query Paths($from: EntityRef!, $to: EntityRef!) {
  allShortestPaths(from: $from, to: $to, maxHops: 8, first: 20) { length nodes { ...Node } relationships { ${EDGE} } }
}
${NODE}`;

export const JOURNEY = `query Journey($customerId: ID!) {
  journey(customerId: $customerId, first: 100) {
    totalCount
    nodes {
      at kind step channel detail office
      employee { id name }
      department { id name kind }
      order { id }
      ticket { id }
      interaction { id }
    }
  }
}`;

export const HAND_OFF_CHAIN = `query HandOffs($ticketId: ID!) {
  ticket(id: $ticketId) { id subject status }
  handOffChain(ticketId: $ticketId) {
    closed totalWaitSeconds
    hops {
      position at until waitSeconds reason current
      employee { id name }
      department { id name kind }
      by { id name }
    }
  }
}`;

export const ALERTS = `query Alerts($departmentId: ID!) {
  serviceLevelAlerts(departmentId: $departmentId, first: 50) {
    totalCount
    nodes {
      tier state heldSeconds
      ticket { id subject priority }
      assignee { id name }
      response { state usedShare }
      resolution { state usedShare }
    }
  }
}`;

export const EXPERTS = `query KnowsBest($customerId: ID!) {
  whoKnowsBest(customerId: $customerId, first: 10) {
    rank score accountOwner interactions orderSteps handOffs lastContact
    employee { id name title department { id name kind } }
  }
}`;

export class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

export class Api {
  constructor(endpoint, authorization) {
    this.endpoint = endpoint;
    this.authorization = authorization; // () => "Bearer …" or ""
  }

  // The data of one operation; errors with no data are thrown, errors beside data are kept
  // in `errors` (a field the policy masks, a source that is down) and the data is returned.
  async call(query, variables = {}) {
    const headers = { "Content-Type": "application/json", Accept: "application/json" };
    const authorization = this.authorization();
    if (authorization) headers.Authorization = authorization;
    let response;
    try {
      response = await fetch(this.endpoint, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
    } catch (error) {
      throw new ApiError(`the service cannot be reached (${error.message})`, "NETWORK");
    }
    let body;
    try {
      body = await response.json();
    } catch {
      throw new ApiError(`the service answered ${response.status} without JSON`, "HTTP_" + response.status);
    }
    const errors = body.errors || [];
    const data = body.data;
    const empty = data == null || Object.values(data).every((value) => value == null);
    if (errors.length && empty) {
      const first = errors[0];
      throw new ApiError(first.message, (first.extensions && first.extensions.code) || "ERROR");
    }
    return data;
  }
}
