// Runs the graphql-http server audits against a GraphQL-over-HTTP endpoint and prints the
// results as one JSON array on stdout: [{id, name, status, reason}], status "ok", "notice",
// "warn" or "error". The audits' level (MUST, SHOULD, MAY) is the first word of each name.
//
//   node audit.mjs http://127.0.0.1:PORT/graphql
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs URL');
  process.exit(2);
}

const results = [];
for (const audit of serverAudits({ url, fetchFn: fetch })) {
  const result = await audit.fn();
  results.push({
    id: result.id,
    name: result.name,
    status: result.status,
    reason: result.status === 'ok' ? null : result.reason,
  });
}
process.stdout.write(JSON.stringify(results));
