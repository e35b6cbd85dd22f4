// The @neo4j/graphql peer of bench/compare.py: the Neo4j GraphQL Library generating the API
// from typedefs.graphql, served by @apollo/server's standalone HTTP server on loopback.
//
//   NEO4J_URI=bolt://127.0.0.1:7699 PORT=4100 [WORKERS=1] [AUTH_RULES=graph|serves JWT_SECRET=...] node server.mjs
//
// AUTH_RULES adds the service agent's @authorization filter rules of rules-<AUTH_RULES>.graphql
// to the type definitions (bench/peer_rows_bench.py) and has the library verify each request's
// `Authorization: Bearer` token, HS256 with JWT_SECRET; a request without a valid token then
// sees no customer, order, interaction or ticket. Without AUTH_RULES nothing is checked.
// The embedded Neo4j runs without authentication, so the driver sends none (NEO4J_PASSWORD
// set: basic auth as NEO4J_USER). WORKERS > 1 forks that many processes sharing the port
// (node:cluster), to match the number of uvicorn workers of the service it is compared with.
import cluster from "node:cluster";
import { readFileSync } from "node:fs";

import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { Neo4jGraphQL } from "@neo4j/graphql";
import neo4j from "neo4j-driver";

const port = Number(process.env.PORT ?? 4100);
const workers = Number(process.env.WORKERS ?? 1);
const rules = process.env.AUTH_RULES ?? "";
if (rules && !["graph", "serves"].includes(rules)) throw new Error(`AUTH_RULES: graph or serves, not ${rules}`);
if (rules && !process.env.JWT_SECRET) throw new Error("AUTH_RULES needs JWT_SECRET, the HS256 key of the tokens");

if (cluster.isPrimary && workers > 1) {
    for (let i = 0; i < workers; i++) cluster.fork();
    cluster.on("exit", (worker, code) => {
        console.error(`neo4j-graphql peer: worker ${worker.process.pid} exited (${code})`);
        process.exit(1);
    });
    const stop = () => {
        for (const worker of Object.values(cluster.workers)) worker.kill("SIGTERM");
        process.exit(0);
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
} else {
    const uri = process.env.NEO4J_URI ?? "bolt://127.0.0.1:7687";
    const password = process.env.NEO4J_PASSWORD ?? "";
    const auth = password ? neo4j.auth.basic(process.env.NEO4J_USER ?? "neo4j", password) : undefined;
    const driver = neo4j.driver(uri, auth, { maxConnectionPoolSize: 100 });
    const read = (name) => readFileSync(new URL(`./${name}`, import.meta.url), "utf8");
    const typeDefs = rules ? [read("typedefs.graphql"), read(`rules-${rules}.graphql`)] : read("typedefs.graphql");
    const features = rules ? { authorization: { key: process.env.JWT_SECRET } } : {};
    const schema = await new Neo4jGraphQL({ typeDefs, driver, features }).getSchema();
    const server = new ApolloServer({ schema, introspection: true });
    // The library reads the bearer token from the context's `token` and verifies it itself.
    const context = async ({ req }) => (rules ? { token: req.headers.authorization } : {});
    const { url } = await startStandaloneServer(server, { listen: { host: "127.0.0.1", port }, context });
    console.log(`neo4j-graphql peer: ready ${url}${rules ? ` (@authorization rules: ${rules})` : ""}`);
    const stop = async () => {
        await server.stop();
        await driver.close();
        process.exit(0);
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
}
