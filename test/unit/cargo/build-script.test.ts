import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildScriptCfgs } from '../../../src/core/cargo/build-script';

const X86 = 'x86_64-unknown-linux-gnu';

// proc-macro2 1.0.47's build.rs, trimmed: which of its cfgs are set decides whether `Span` is
// the `Compiler | Fallback` wrapper and whether it carries `lo`/`hi` (12 or 8 bytes in syn).
const PROC_MACRO2 = `
fn main() {
    let version = match rustc_version() {
        Some(version) => version,
        None => return,
    };
    let docs_rs = env::var_os("DOCS_RS").is_some();
    let semver_exempt = cfg!(procmacro2_semver_exempt) || docs_rs;
    if semver_exempt {
        // https://github.com/dtolnay/proc-macro2/issues/147
        println!("cargo:rustc-cfg=procmacro2_semver_exempt");
    }
    if semver_exempt || cfg!(feature = "span-locations") {
        println!("cargo:rustc-cfg=span_locations");
    }
    if version.minor < 57 {
        println!("cargo:rustc-cfg=no_is_available");
    }
    let target = env::var("TARGET").unwrap();
    if !enable_use_proc_macro(&target) {
        return;
    }
    println!("cargo:rustc-cfg=use_proc_macro");
    if version.nightly || !semver_exempt {
        println!("cargo:rustc-cfg=wrap_proc_macro");
    }
    if version.nightly
        && feature_allowed("proc_macro_span")
        && feature_allowed("proc_macro_span_shrink")
    {
        println!("cargo:rustc-cfg=proc_macro_span");
    }
}

fn enable_use_proc_macro(target: &str) -> bool {
    // wasm targets don't have the \`proc_macro\` crate, disable this feature.
    if target.contains("wasm32") {
        return false;
    }
    // Otherwise, only enable it if our feature is actually enabled.
    cfg!(feature = "proc-macro")
}

fn feature_allowed(feature: &str) -> bool {
    let flags = match env::var_os("CARGO_ENCODED_RUSTFLAGS") { Some(f) => f, None => return true };
    flags.len() > 0
}
`;

const cfgs = (src: string, features: string[], triple = X86) =>
  Object.fromEntries(buildScriptCfgs(src, triple, new Set(features)));

test('build scripts: features, let bindings, local bool fns and an early return are decided (proc-macro2)', () => {
  assert.deepEqual(cfgs(PROC_MACRO2, ['proc-macro']), {
    use_proc_macro: 'yes',
    wrap_proc_macro: 'yes',
  });
  assert.deepEqual(cfgs(PROC_MACRO2, ['proc-macro', 'span-locations']), {
    span_locations: 'yes',
    use_proc_macro: 'yes',
    wrap_proc_macro: 'yes',
  });
  // Without the feature, `enable_use_proc_macro` is false: main returns before the wrapper cfgs.
  assert.deepEqual(cfgs(PROC_MACRO2, []), {});
  // On wasm32 the early return happens whatever the features.
  assert.deepEqual(cfgs(PROC_MACRO2, ['proc-macro'], 'wasm32-unknown-unknown'), {});
  // Without the package's features (no set given), a `cfg!(feature)` cannot be decided.
  const unknownFeatures = Object.fromEntries(buildScriptCfgs(PROC_MACRO2, X86));
  assert.deepEqual(unknownFeatures, {
    span_locations: 'maybe',
    use_proc_macro: 'maybe',
    wrap_proc_macro: 'maybe',
  });
});

test('build scripts: what cannot be decided stays maybe (env vars, mut bindings, undecided early returns)', () => {
  const src = `
fn main() {
    let mut wide = true;
    let fast = env::var("FAST").is_ok();
    let target = env::var("TARGET").unwrap();
    match target.as_str() { "avr" => wide = false, _ => {} }
    if wide { println!("cargo:rustc-cfg=wide"); }
    if fast { println!("cargo:rustc-cfg=fast"); }
    if (target.contains("x86_64") && !target.contains("wasm")) || cfg!(feature = "never") {
        println!("cargo:rustc-cfg=x86");
    }
    if probe() { return; }
    println!("cargo:rustc-cfg=after_return");
}
fn probe() -> bool { std::process::Command::new("cc").status().is_ok() }
`;
  assert.deepEqual(cfgs(src, []), {
    wide: 'maybe',
    fast: 'maybe',
    x86: 'yes',
    after_return: 'maybe',
  });
});

test("the real proc-macro2 build script of the registry, with syn's features", () => {
  const dir = path.join(
    process.env.ALLOC_LENS_REGISTRY || '/usr/share/cargo/registry',
    'proc-macro2-1.0.47',
  );
  assert.ok(
    fs.existsSync(dir),
    `${dir} is missing: run scripts/ci-deps.sh (it installs librust-proc-macro2-dev)`,
  );
  const src = fs.readFileSync(path.join(dir, 'build.rs'), 'utf8');
  assert.deepEqual(cfgs(src, ['default', 'proc-macro']), {
    use_proc_macro: 'yes',
    wrap_proc_macro: 'yes',
  });
});
