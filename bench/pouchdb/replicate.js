// The PouchDB side of bench/sync_vs_couchdb.py: a device's local database (in memory) replicating
// with pouchdb-server over CouchDB's replication protocol. Driven line by line on stdin:
//   pull <name>          one-shot replication remote -> local database <name> (created on first use)
//   push <name> <file>   write the JSON array of docs in <file> locally, then replicate local -> remote
//   quit
// Each command answers one JSON line on stdout: {"ms": wall time of the replication, "docs": docs written}.
'use strict';
const PouchDB = require('pouchdb-core')
  .plugin(require('pouchdb-adapter-memory'))
  .plugin(require('pouchdb-adapter-http'))
  .plugin(require('pouchdb-replication'));
const fs = require('fs');
const readline = require('readline');

const remote = process.argv[2];
const locals = new Map();
const local = (name) => {
  if (!locals.has(name)) locals.set(name, new PouchDB(name, { adapter: 'memory' }));
  return locals.get(name);
};

async function run(line) {
  const [command, name, file] = line.trim().split(/\s+/);
  if (command === 'quit') process.exit(0);
  const db = local(name);
  if (command === 'pull') {
    const started = process.hrtime.bigint();
    const result = await PouchDB.replicate(new PouchDB(remote), db);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    return { ms, docs: result.docs_written, status: result.status };
  }
  if (command === 'push') {
    const docs = JSON.parse(fs.readFileSync(file, 'utf8'));
    await db.bulkDocs(docs);  // the device writes its outbox locally first (not on the wire)
    const started = process.hrtime.bigint();
    const result = await PouchDB.replicate(db, new PouchDB(remote));
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    return { ms, docs: result.docs_written, status: result.status };
  }
  throw new Error(`unknown command ${command}`);
}

const rl = readline.createInterface({ input: process.stdin });
let queue = Promise.resolve();
rl.on('line', (line) => {
  queue = queue.then(() => run(line)).then(
    (answer) => process.stdout.write(JSON.stringify(answer) + '\n'),
    (error) => process.stdout.write(JSON.stringify({ error: String(error && error.stack || error) }) + '\n'));
});
