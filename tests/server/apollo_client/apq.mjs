// Runs operations through Apollo Client with its persisted-queries link, as an app would set it
// up, and prints what happened as JSON: each operation's outcome and every HTTP exchange.
//
//   node apq.mjs URL PLAN.json
//   node apq.mjs --print PLAN.json
//
// PLAN.json: {"clients": [[{"query": "...", "variables": {...}}, ...], ...]}. Each inner list
// runs in order on a client of its own (a fresh link, so a fresh hash cache), hashing with
// node:crypto and sending hashed queries with GET (useGETForHashedQueries), as a CDN set-up would.
// --print prints instead the documents as the client sends them (its cache adds __typename to
// every selection set below the root), which is what Apollo's manifest generator lists.
// With APOLLO_CLIENT_AUTHORIZATION set, every request carries it as its Authorization header,
// as an app's HttpLink would send its user's token.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { print } from "graphql";

const [url, planPath] = process.argv.slice(2);
const plan = JSON.parse(readFileSync(planPath, "utf8"));
const wire = [];

if (url === "--print") {
  const cache = new InMemoryCache();
  const sent = plan.clients.map((operations) =>
    operations.map((operation) => print(cache.transformDocument(gql(operation.query)))),
  );
  process.stdout.write(JSON.stringify(sent) + "\n");
  process.exit(0);
}

function persistedHash(extensions) {
  return extensions?.persistedQuery?.sha256Hash ?? null;
}

function codesOf(text) {
  try {
    const body = JSON.parse(text);
    return (body.errors ?? []).map((error) => error.extensions?.code ?? null);
  } catch {
    return [];
  }
}

// fetch as the HttpLink calls it, recorded: what went out and what came back.
function recordingFetch(client) {
  return async (input, init = {}) => {
    const method = (init.method ?? "GET").toUpperCase();
    const sent = { client, method, query: false, hash: null, cacheControl: null, status: null, codes: [] };
    if (method === "GET") {
      const params = new URL(String(input)).searchParams;
      sent.query = params.has("query");
      sent.hash = persistedHash(params.has("extensions") ? JSON.parse(params.get("extensions")) : null);
    } else {
      const body = JSON.parse(String(init.body));
      sent.query = typeof body.query === "string";
      sent.hash = persistedHash(body.extensions);
    }
    const response = await fetch(input, init);
    sent.status = response.status;
    sent.cacheControl = response.headers.get("cache-control");
    sent.codes = codesOf(await response.clone().text());
    wire.push(sent);
    return response;
  };
}

function outcomeOf(result, error) {
  const failure = error ?? result?.error;
  const outcome = { data: result?.data ?? null, codes: [], error: null };
  if (failure) {
    outcome.error = failure.name ?? String(failure);
    if (Array.isArray(failure.errors)) {
      outcome.codes = failure.errors.map((item) => item.extensions?.code ?? null);
    } else if (typeof failure.bodyText === "string") {
      outcome.codes = codesOf(failure.bodyText);
    }
  }
  return outcome;
}

const results = [];
for (const [index, operations] of plan.clients.entries()) {
  const link = ApolloLink.from([
    new PersistedQueryLink({
      sha256: (text) => createHash("sha256").update(text).digest("hex"),
      useGETForHashedQueries: true,
    }),
    new HttpLink({
      uri: url,
      fetch: recordingFetch(index),
      headers: process.env.APOLLO_CLIENT_AUTHORIZATION ? { authorization: process.env.APOLLO_CLIENT_AUTHORIZATION } : {},
    }),
  ]);
  const client = new ApolloClient({ link, cache: new InMemoryCache() });
  const outcomes = [];
  for (const operation of operations) {
    try {
      const result = await client.query({
        query: gql(operation.query),
        variables: operation.variables ?? {},
        fetchPolicy: "no-cache",
        errorPolicy: "all",
      });
      outcomes.push(outcomeOf(result, null));
    } catch (error) {
      outcomes.push(outcomeOf(null, error));
    }
  }
  results.push(outcomes);
  client.stop();
}
process.stdout.write(JSON.stringify({ results, wire }) + "\n");
