import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ALL_RULES, RULE_MODULES, rulesTableMarkdown } from '../../../src/core/rules/registry';
import { defaultSettings, TEST_CODE_MODES } from '../../../src/core/config/settings';
import { toSarif } from '../../../src/cli/commands/sarif';

const ROOT = path.join(__dirname, '..', '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const props =
  pkg.contributes.configuration.properties ?? pkg.contributes.configuration[0].properties;

test('package.json allocLens.rules lists exactly the registry, in order, with its summaries', () => {
  const rules = props['allocLens.rules'];
  assert.deepEqual(Object.keys(rules.properties), ALL_RULES);
  for (const r of RULE_MODULES) {
    assert.equal(rules.properties[r.code].type, 'boolean');
    assert.equal(rules.properties[r.code].markdownDescription, r.summary, r.code);
  }
  assert.equal(rules.additionalProperties, false);
});

test('every editor setting a rule names exists in package.json; testCode has the modes', () => {
  for (const r of RULE_MODULES)
    for (const k of r.settings.editor)
      assert.ok(props[k], `${r.code}: ${k} missing from package.json`);
  assert.deepEqual(props['allocLens.testCode'].enum, TEST_CODE_MODES);
  assert.equal(props['allocLens.testCode'].default, defaultSettings().testCode);
});

test('README rule table, docs pages and SARIF descriptions derive from the registry', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  assert.ok(
    readme.includes(rulesTableMarkdown()),
    'README rule table differs from rulesTableMarkdown()',
  );
  for (const code of ALL_RULES)
    assert.ok(
      fs.existsSync(path.join(ROOT, 'docs', 'rules', `${code}.md`)),
      `docs/rules/${code}.md`,
    );
  const sarif = toSarif([], ROOT, () => undefined);
  assert.deepEqual(
    sarif.runs[0].tool.driver.rules.map(r => [r.id, r.shortDescription.text]),
    RULE_MODULES.map(r => [r.code, r.summary]),
  );
  assert.deepEqual(Object.keys(defaultSettings().enabled), ALL_RULES);
});
