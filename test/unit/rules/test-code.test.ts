/**
 * `testCode` (CLI `--test-code`, editor `allocLens.testCode`): findings in test code are dropped
 * (`off`, the default), lowered to hints, or reported. Test code here is `tests/`, and the
 * `examples/` and `benches/` targets (which `cargo clippy` does not check by default); `src/` and
 * `build.rs` are production code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadWorkspace } from '../../../src/core/index/workspace';
import { LayoutEngine } from '../../../src/core/layout/engine';
import { defaultSettings, type TestCodeMode } from '../../../src/core/config/settings';
import { runRules } from '../../../src/core/rules/run';

const BIG = 'pub struct Big([u8; 512]);\n';
const fnIn = (name: string) =>
  `pub fn ${name}() -> Result<(), ${name === 'lib' ? 'Big' : 'demo::Big'}> { Ok(()) }\n`;

test('findings in tests/, examples/ and benches/ follow testCode; src/ and build.rs do not', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'al-testcode-'));
  try {
    const write = (rel: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), text);
    };
    write('Cargo.toml', '[package]\nname = "demo"\nversion = "0.1.0"\nedition = "2021"\n');
    write('src/lib.rs', BIG + fnIn('lib'));
    write(
      'build.rs',
      'pub struct Big([u8; 512]);\nfn build() -> Result<(), Big> { Ok(()) }\nfn main() { let _ = build(); }\n',
    );
    write('tests/it.rs', fnIn('it'));
    write('examples/ex.rs', fnIn('ex') + 'fn main() {}\n');
    write('benches/b.rs', fnIn('b') + 'fn main() {}\n');
    const index = await loadWorkspace(dir, {});
    const engine = new LayoutEngine(index);
    const run = (testCode: TestCodeMode) =>
      runRules(index, engine, { ...defaultSettings(), testCode })
        .filter(f => f.code === 'large-error')
        .map(f => `${path.relative(dir, f.range.file)}:${f.range.line} ${f.severity}`)
        .sort();
    assert.deepEqual(run('off'), ['build.rs:2 warning', 'src/lib.rs:2 warning']);
    assert.deepEqual(run('hint'), [
      'benches/b.rs:1 hint',
      'build.rs:2 warning',
      'examples/ex.rs:1 hint',
      'src/lib.rs:2 warning',
      'tests/it.rs:1 hint',
    ]);
    assert.equal(run('report').filter(f => f.endsWith('warning')).length, 5);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
