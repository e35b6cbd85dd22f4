// The @neo4j/graphql peer of bench/compare.py: the Neo4j GraphQL Library generating the API
// from typedefs.graphql, served by @apollo/server's standalone HTTP server on loopback.
//
//   NEO4J_URI=bolt://127.0.0.1:7699 PORT=4100 [WORKERS=1] node server.mjs
//
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
    const typeDefs = readFileSync(new URL("./typedefs.graphql", import.meta.url), "utf8");
    const schema = await new Neo4jGraphQL({ typeDefs, driver }).getSchema();
    const server = new ApolloServer({ schema, introspection: true });
    const { url } = await startStandaloneServer(server, { listen: { host: "127.0.0.1", port } });
    console.log(`neo4j-graphql peer: ready ${url}`);
    const stop = async () => {
        await server.stop();
        await driver.close();
        process.exit(0);
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
}
