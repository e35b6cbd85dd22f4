// A second subgraph for the federation tests: "loyalty" adds loyaltyPoints to our Customer
// entity and has a root field of its own that returns Customer references, which the gateway
// completes from the customer graph through _entities.
//
//   node loyalty.mjs [C000001,C000002,...]   (the ids topLoyaltyMembers returns)
//
// Listens on a free loopback port and prints {"ready": URL} on stdout once it answers.
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';

const topMembers = (process.argv[2] ?? 'C000003,C000001,C000002').split(',');

const typeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])

  type Customer @key(fields: "id") {
    id: ID!
    "Ten points per unit of the customer number: C000042 has 420."
    loyaltyPoints: Int!
  }

  type Query {
    topLoyaltyMembers: [Customer!]!
  }
`);

const loyaltyPoints = (id) => Number.parseInt(id.slice(1), 10) * 10;

const resolvers = {
  Query: {
    topLoyaltyMembers: () => topMembers.map((id) => ({ id })),
  },
  Customer: {
    __resolveReference: ({ id }) => ({ id }),
    loyaltyPoints: ({ id }) => loyaltyPoints(id),
  },
};

const server = new ApolloServer({ schema: buildSubgraphSchema({ typeDefs, resolvers }) });
const { url } = await startStandaloneServer(server, { listen: { host: '127.0.0.1', port: 0 } });
console.log(JSON.stringify({ ready: url }));
