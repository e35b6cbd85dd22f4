// An Apollo gateway over the subgraphs named on the command line, composed at start-up with
// IntrospectAndCompose (each subgraph's _service { sdl }).
//
//   node gateway.mjs customers=http://127.0.0.1:8000/graphql loyalty=http://127.0.0.1:4001/
//
// Listens on a free loopback port and prints {"ready": URL} on stdout once composed.
//
// It asks every subgraph for federated traces (apollo-federation-include-trace: ftv1), as a
// gateway that reports usage to Apollo does, and adds what it decoded of them to each
// response as extensions.subgraphTraces, so tests can check the traces a subgraph sends.
// The X-Request-Id a client sends is passed on to the subgraphs, and so is its Authorization
// header: each subgraph answers as the caller. Composing at start-up is not a client's request:
// it sends COMPOSITION_AUTHORIZATION (from the environment), the gateway's own token.
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource } from '@apollo/gateway';

const subgraphs = process.argv.slice(2).map((argument) => {
  const [name, url] = argument.split('=');
  return { name, url };
});

const toNumber = (value) => (value == null ? null : Number(String(value)));

// A Trace.Node as plain JSON: {name, type, parentType, startTime, endTime, errors, children};
// name is the response name of a field, the index of a list item, null for the root.
function traceNode(node) {
  return {
    name: node.id === 'responseName' ? node.responseName : node.id === 'index' ? node.index : null,
    type: node.type || null,
    parentType: node.parentType || null,
    startTime: toNumber(node.startTime),
    endTime: toNumber(node.endTime),
    errors: (node.error ?? []).map((error) => error.message),
    children: (node.child ?? []).map(traceNode),
  };
}

function fetchesIn(planNode, found = []) {
  if (!planNode) return found;
  if (planNode.fetch) found.push(planNode.fetch);
  for (const child of planNode.sequence?.nodes ?? planNode.parallel?.nodes ?? []) fetchesIn(child, found);
  if (planNode.flatten) fetchesIn(planNode.flatten.node, found);
  return found;
}

const reportSubgraphTraces = {
  async requestDidStart({ metrics }) {
    metrics.captureTraces = true;
    return {
      async willSendResponse({ response, metrics: done }) {
        if (response.body.kind !== 'single') return;
        const subgraphTraces = fetchesIn(done.queryPlanTrace).map((fetch) => ({
          service: fetch.serviceName,
          traceParsingFailed: Boolean(fetch.traceParsingFailed),
          durationNs: fetch.trace ? toNumber(fetch.trace.durationNs) : null,
          root: fetch.trace?.root ? traceNode(fetch.trace.root) : null,
        }));
        const result = response.body.singleResult;
        result.extensions = { ...(result.extensions ?? {}), subgraphTraces };
      },
    };
  },
};

const gateway = new ApolloGateway({
  supergraphSdl: new IntrospectAndCompose({ subgraphs }),
  buildService: ({ url }) =>
    new RemoteGraphQLDataSource({
      url,
      willSendRequest({ request, context }) {
        if (context.requestId) request.http.headers.set('x-request-id', context.requestId);
        const authorization = context.fromClient ? context.authorization : process.env.COMPOSITION_AUTHORIZATION;
        if (authorization) request.http.headers.set('authorization', authorization);
      },
    }),
});

const server = new ApolloServer({ gateway, plugins: [reportSubgraphTraces] });
const { url } = await startStandaloneServer(server, {
  listen: { host: '127.0.0.1', port: 0 },
  context: async ({ req }) => ({
    fromClient: true,
    requestId: req.headers['x-request-id'],
    authorization: req.headers.authorization,
  }),
});
console.log(JSON.stringify({ ready: url }));
