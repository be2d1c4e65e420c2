// Checks a catalog-info.yaml the way Backstage's catalog does when it reads one: the file is parsed
// with the `yaml` package, each entity goes through the default entity policies and the Component
// kind's validator, and the owner and dependsOn references are parsed as the built-in kinds
// processor parses them. Prints one JSON result per document; exits 1 when any is refused.
//
// Usage: node backstage_validate.cjs <node_modules folder> <catalog-info.yaml>
'use strict';

const fs = require('fs');
const path = require('path');

const [modules, file] = process.argv.slice(2);
const model = require(path.join(modules, '@backstage', 'catalog-model'));
const yaml = require(path.join(modules, 'yaml'));

const policy = model.EntityPolicies.allOf([
  new model.SchemaValidEntityPolicy(),
  new model.DefaultNamespaceEntityPolicy(),
  new model.NoForeignRootFieldsEntityPolicy(),
  new model.FieldFormatEntityPolicy(),
]);

async function check(entity) {
  const enforced = await policy.enforce(entity);
  if (!(await model.componentEntityV1alpha1Validator.check(enforced))) {
    throw new Error(`not a Component: ${entity.kind}`);
  }
  const self = { defaultNamespace: enforced.metadata.namespace };
  const owner = model.parseEntityRef(enforced.spec.owner, { ...self, defaultKind: 'Group' });
  const dependsOn = (enforced.spec.dependsOn || []).map(ref => model.stringifyEntityRef(model.parseEntityRef(ref, self)));
  return { name: enforced.metadata.name, owner: model.stringifyEntityRef(owner), dependsOn };
}

async function main() {
  const documents = yaml.parseAllDocuments(fs.readFileSync(file, 'utf8'));
  let refused = 0;
  for (const [index, document] of documents.entries()) {
    try {
      if (document.errors.length) throw new Error(document.errors.map(e => e.message).join('; '));
      console.log(JSON.stringify({ index, ok: true, ...(await check(document.toJSON())) }));
    } catch (error) {
      refused += 1;
      console.log(JSON.stringify({ index, ok: false, error: String(error && error.message ? error.message : error) }));
    }
  }
  process.exit(refused ? 1 : 0);
}

main().catch(error => {
  console.error(error);
  process.exit(2);
});
