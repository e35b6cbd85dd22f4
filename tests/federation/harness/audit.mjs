// Runs the graphql-http server audits against a GraphQL-over-HTTP endpoint and prints the
// results as one JSON array on stdout: [{id, name, status, reason}], status "ok", "notice",
// "warn" or "error". The audits' level (MUST, SHOULD, MAY) is the first word of each name.
//
//   AUDIT_AUTHORIZATION="Bearer ..." node audit.mjs http://127.0.0.1:PORT/graphql
//
// Every request carries AUDIT_AUTHORIZATION, when set, as its Authorization header.
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs URL');
  process.exit(2);
}

const results = [];
const authorization = process.env.AUDIT_AUTHORIZATION;
function fetchWithToken(input, init = {}) {
  if (!authorization) return fetch(input, init);
  const headers = new Headers(init.headers);
  headers.set('authorization', authorization);
  return fetch(input, { ...init, headers });
}

for (const audit of serverAudits({ url, fetchFn: fetchWithToken })) {
  const result = await audit.fn();
  results.push({
    id: result.id,
    name: result.name,
    status: result.status,
    reason: result.status === 'ok' ? null : result.reason,
  });
}
process.stdout.write(JSON.stringify(results));
