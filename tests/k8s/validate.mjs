// validate.mjs - the Kubernetes objects given as a JSON array on stdin (one
// manifest file's documents, from tests/container/manifest.py json) checked
// against the API's schema by kubernetes-models (types, required fields,
// enums, formats). It does not reject unknown field names: manifest.py
// fields and tests/k8s/restricted.py do. One line per problem; exit 1.
import { readFileSync } from "node:fs";

const kinds = {
  "apps/v1/Deployment": "kubernetes-models/apps/v1/Deployment",
  "v1/Pod": "kubernetes-models/v1/Pod",
};

const docs = JSON.parse(readFileSync(0, "utf8"));
let bad = 0;
for (const [i, doc] of docs.entries()) {
  const key = `${doc.apiVersion}/${doc.kind}`;
  const where = `document ${i + 1} (${key} ${doc.metadata?.name ?? "?"})`;
  if (!kinds[key]) {
    console.log(`${where}: no schema here for ${key}: add it to tests/k8s/validate.mjs`);
    bad++;
    continue;
  }
  const mod = await import(kinds[key]);
  try {
    new mod[doc.kind](doc).validate();
  } catch (e) {
    for (const line of String(e.message).split(", ")) console.log(`${where}: ${line}`);
    bad++;
  }
}
process.exit(bad ? 1 : 0);
