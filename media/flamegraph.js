// Alloc Lens flamegraph shim: runs in the webview before speedscope's (unmodified) bundle.
// - sets speedscope's color scheme from VS Code's theme and the `localProfilePath` hash, which makes
//   speedscope define `window.speedscope.loadFileFromBase64` when it mounts;
// - tells the host it is ready, then inserts speedscope's bundle (the `data-speedscope` URLs);
// - catches the `<script src="file:///...">` speedscope then appends (it is never inserted, so no
//   request and no CSP report), then shows the profile the host sent meanwhile;
// - loads the profile the host posts, draws the view switch and the hot-line list, and turns
//   clicks on hot lines (and Ctrl/Cmd+click on flamegraph frames) into `open` messages.
// Message types: src/extension/webview-protocol.ts.
(function () {
  'use strict';
  // eslint-disable-next-line no-undef
  const vscode = acquireVsCodeApi();
  const self = document.currentScript;
  const VIEWS = [
    { index: 0, id: 'all', label: 'All', title: 'All samples' },
    {
      index: 1,
      id: 'alloc',
      label: 'Allocator',
      title: 'Allocator samples (malloc, free, realloc, ...)',
    },
    { index: 2, id: 'copy', label: 'Copy', title: 'Copy samples (memcpy/memmove)' },
  ];
  const SCHEME_KEY = 'speedscope-color-scheme';
  // First-draw timing marks of the page (Date.now() ms, as the host's): posted with the host's
  // once the first profile is drawn, logged by the host and printed here for the e2e test.
  const marks = { page: Date.now() };
  // When the page's document started loading (the webview's creation ends there).
  marks.navigation = Math.round(performance.timeOrigin);

  function isDarkTheme() {
    const c = document.body.classList;
    if (c.contains('vscode-light') || c.contains('vscode-high-contrast-light')) return false;
    return true;
  }
  function post(msg) {
    vscode.postMessage(msg);
  }
  function reportError(e) {
    post({ type: 'error', message: String((e && e.stack) || e) });
  }

  // Every CSP violation in the page is reported: the policy is meant to allow everything speedscope
  // does (media/README.md), so a report is a bug.
  document.addEventListener('securitypolicyviolation', ev => {
    const text = `CSP violation: ${ev.violatedDirective} blocked ${ev.blockedURI || '(inline)'} at ${ev.sourceFile || '?'}:${ev.lineNumber || 0}`;
    console.error('[alloc-lens] ' + text);
    reportError(text);
  });

  // protobufjs (inside speedscope, for pprof import) probes for Node's `require` with
  // `eval("require")` in a try/catch. Without 'unsafe-eval' that eval is refused and reported as a
  // CSP violation. With the global replaced, the probe is an ordinary call that fails the way
  // `require` fails in any browser, and nothing is reported; any other eval goes to the real one
  // (indirectly), which the CSP still refuses.
  const realEval = window.eval;
  window.eval = function (src) {
    if (src === 'require') throw new ReferenceError('require is not defined');
    return realEval(src);
  };

  // 1. Before speedscope runs: color scheme and hash (both are read once, at its start).
  let dark = isDarkTheme();
  try {
    window.localStorage.setItem(SCHEME_KEY, dark ? 'DARK' : 'LIGHT');
  } catch (e) {
    // no storage: speedscope falls back to prefers-color-scheme
  }
  // `view=left-heavy`: open merged (stacks with the same frames summed), not in time order, which
  // for sampled profiles is just noise.
  history.replaceState(
    history.state,
    '',
    '#localProfilePath=alloc-lens-profile.js&view=left-heavy',
  );

  // 2. speedscope's mount appends <script src="file:///alloc-lens-profile.js"> to <head>; swallow it.
  let speedscopeReady = false;
  const head = document.head;
  const appendChild = head.appendChild;
  head.appendChild = function (node) {
    if (node && node.tagName === 'SCRIPT' && /^file:/.test(node.src || '')) {
      head.appendChild = appendChild;
      onSpeedscopeReady();
      return node;
    }
    return appendChild.call(this, node);
  };
  function onSpeedscopeReady() {
    if (speedscopeReady) return;
    speedscopeReady = true;
    marks.mounted = Date.now();
    if (!window.speedscope || typeof window.speedscope.loadFileFromBase64 !== 'function') {
      showMessage('speedscope did not start (no loadFileFromBase64).');
      reportError('speedscope did not define window.speedscope.loadFileFromBase64');
      return;
    }
    // The profile usually arrived while the bundle loaded (see `ready` at the end).
    if (profile) showProfile(profile.index);
  }
  // speedscope's bundle, inserted after `ready` has left (see the end). Inserted scripts with
  // `async = false` run in order; the last one is speedscope's, which mounts in its place.
  function loadSpeedscope() {
    const urls = ((self && self.dataset.speedscope) || '').split(' ').filter(Boolean);
    if (urls.length === 0) {
      showMessage('speedscope did not start (no bundle).');
      reportError('the page names no speedscope script');
      return;
    }
    urls.forEach((src, i) => {
      const s = document.createElement('script');
      s.nonce = self.nonce;
      s.async = false;
      s.src = src;
      s.addEventListener('error', () => {
        showMessage('speedscope did not load.');
        reportError('cannot load ' + src);
      });
      // The hook above normally fires while the bundle runs; this covers a speedscope that mounts
      // differently (it would be a new version: see media/README.md).
      if (i === urls.length - 1)
        s.addEventListener('load', () => {
          if (!speedscopeReady && window.speedscope && window.speedscope.loadFileFromBase64)
            onSpeedscopeReady();
          else if (!speedscopeReady) {
            showMessage('speedscope did not start.');
            reportError('speedscope did not mount (no localProfilePath hook)');
          }
        });
      document.body.appendChild(s);
    });
  }

  // speedscope's own Import/Export (files come from the host) and color-scheme toggle (the panel
  // follows VS Code's theme) are hidden. Its class names are generated, so the tabs are found by
  // their text, again after each of its re-renders.
  const HIDDEN_TABS = /^\W*(Import|Export|Help|Light|Dark|System)\s*$/;
  function hideForeignTabs() {
    for (const d of document.querySelectorAll('body > div:not(.al-ui) div')) {
      if (d.childElementCount < 1 || d.childElementCount > 2) continue;
      // speedscope's (aphrodite) rules are all !important: only an !important inline style wins.
      if (
        HIDDEN_TABS.test(d.textContent || '') &&
        d.style.getPropertyPriority('display') !== 'important'
      ) {
        d.style.setProperty('display', 'none', 'important');
      }
    }
  }
  new MutationObserver(hideForeignTabs).observe(document.body, { childList: true, subtree: true });

  // 3. State, and the host's messages.
  let profile = null; // { title, file (parsed speedscope File), count, index, hotLines }

  window.addEventListener('message', ev => {
    const m = ev.data;
    if (!m || typeof m !== 'object') return;
    if (m.type === 'load') {
      try {
        const first = !marks.received;
        if (first) marks.received = Date.now();
        const file = JSON.parse(m.speedscopeJson);
        const byView = Array.isArray(m.hotLinesByView) ? m.hotLinesByView : null;
        const views = Array.isArray(m.views)
          ? m.views.map((v, i) => ({
              index: i,
              id: 'v' + i,
              label: String(v.label),
              title: String(v.title),
            }))
          : VIEWS;
        profile = {
          title: m.title,
          file,
          count: m.profileCount,
          index: clampIndex(m.activeProfileIndex, m.profileCount),
          hotLines: m.hotLines || [],
          views,
          byView,
        };
        renderToolbar();
        updateToolbar();
        renderHotLines();
        showProfile(profile.index);
        if (first) whenDrawn(m.marks || {});
      } catch (e) {
        showMessage('Cannot read the profile: ' + e.message);
        reportError(e);
      }
    }
  });

  // Drawn: speedscope names the shown profile in its toolbar once it has imported it, and paints
  // the flamechart in the animation frame after (the second frame: that paint is on screen).
  function whenDrawn(hostMarks) {
    const p = profile.file.profiles[profile.index];
    const name = (p && p.name) || '';
    const root = () => document.querySelector('body > div:not(.al-ui)');
    let frames = 0;
    const tick = () => {
      const r = root();
      if (frames === 0 && !(r && r.querySelector('canvas') && r.textContent.includes(name))) {
        requestAnimationFrame(tick);
        return;
      }
      if (++frames < 2) {
        requestAnimationFrame(tick);
        return;
      }
      marks.drawn = Date.now();
      const all = Object.assign({}, hostMarks, marks);
      console.log('alloc-lens first draw ' + JSON.stringify(all));
      post({ type: 'timing', marks: all });
    };
    requestAnimationFrame(tick);
  }

  function clampIndex(i, n) {
    return typeof i === 'number' && i >= 0 && i < n ? i : 0;
  }

  function utf8ToBase64(text) {
    const bytes = new TextEncoder().encode(text);
    let bin = '';
    for (let i = 0; i < bytes.length; i += 0x8000)
      bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return btoa(bin);
  }

  function showProfile(index) {
    if (!profile || !speedscopeReady || !window.speedscope) return;
    if (typeof window.speedscope.loadFileFromBase64 !== 'function') return;
    profile.index = index;
    const file = Object.assign({}, profile.file, {
      activeProfileIndex: index,
      name: profile.title,
    });
    // The ".speedscope.json" suffix makes speedscope take its own format's fast path.
    const name = (profile.title || 'profile').replace(/[^\w.-]+/g, '_') + '.speedscope.json';
    window.speedscope.loadFileFromBase64(name, utf8ToBase64(JSON.stringify(file)));
    marks.loadFile = marks.loadFile || Date.now();
    updateToolbar();
    // The hot-line list follows the view: the Copy view lists lines by memcpy samples.
    if (profile.byView && profile.byView[index]) {
      profile.hotLines = profile.byView[index];
      renderHotLines();
    }
    const p = profile.file.profiles[index];
    post({ type: 'shown', profileIndex: index, profileName: (p && p.name) || '' });
  }

  // 4. Toolbar: the view switch.
  function renderToolbar() {
    const bar = document.getElementById('al-toolbar');
    bar.textContent = '';
    const group = el('div', 'al-views');
    group.setAttribute('role', 'group');
    group.setAttribute('aria-label', 'Samples shown');
    for (const v of profile.views) {
      const b = el('button', 'al-view');
      b.type = 'button';
      b.dataset.index = String(v.index);
      b.dataset.view = v.id;
      b.textContent = v.label;
      const p = profile.file.profiles[v.index];
      b.title = p ? p.name || v.title : v.title + ' (not in this profile)';
      b.disabled = !p;
      b.addEventListener('click', () => {
        if (profile && profile.index !== v.index) showProfile(v.index);
      });
      group.appendChild(b);
    }
    bar.appendChild(group);
    const title = el('span', 'al-title');
    title.textContent = profile.title;
    title.title = profile.title;
    bar.appendChild(title);
    if (profile.hotLines.length > 0) {
      const t = el('button', 'al-toggle-side');
      t.type = 'button';
      t.textContent = 'Hot lines';
      t.title = 'Show or hide the list of hot source lines';
      t.setAttribute('aria-pressed', 'true');
      t.addEventListener('click', () => {
        const hidden = document.body.classList.toggle('al-side-hidden');
        t.setAttribute('aria-pressed', hidden ? 'false' : 'true');
        window.dispatchEvent(new Event('resize'));
      });
      bar.appendChild(t);
    }
    const hint = el('span', 'al-hint');
    hint.textContent =
      (navigator.platform.startsWith('Mac') ? 'Cmd' : 'Ctrl') + '+click a frame to open its source';
    bar.appendChild(hint);
  }

  function updateToolbar() {
    for (const b of document.querySelectorAll('.al-view')) {
      const on = profile && Number(b.dataset.index) === profile.index;
      b.classList.toggle('al-active', !!on);
      b.setAttribute('aria-pressed', on ? 'true' : 'false');
    }
  }

  // 5. Hot lines.
  function renderHotLines() {
    const side = document.getElementById('al-side');
    side.textContent = '';
    const lines = profile.hotLines;
    document.body.classList.toggle('al-no-side', lines.length === 0);
    window.dispatchEvent(new Event('resize'));
    if (lines.length === 0) return;
    const h = el('div', 'al-side-title');
    h.textContent = 'Hot source lines';
    side.appendChild(h);
    const list = el('ul', 'al-hot-lines');
    for (const item of lines) {
      const li = el('li');
      const b = el('button', 'al-hot-line');
      b.type = 'button';
      b.dataset.file = item.file;
      b.dataset.line = String(item.line);
      b.title = `${item.file}:${item.line}${item.detail ? '\n' + item.detail : ''}\n(${'Alt'}+click: open to the side)`;
      const label = el('span', 'al-hot-label');
      label.textContent = item.label;
      b.appendChild(label);
      if (item.detail) {
        const d = el('span', 'al-hot-detail');
        d.textContent = item.detail;
        b.appendChild(d);
      }
      b.addEventListener('click', ev =>
        post({ type: 'open', file: item.file, line: item.line, toSide: ev.altKey }),
      );
      li.appendChild(b);
      list.appendChild(li);
    }
    side.appendChild(list);
  }

  // 6. Ctrl/Cmd+click on a flamegraph frame: speedscope's hover tip shows "file:line" of the frame
  // under the mouse; read it when the click starts (before speedscope re-renders on selection).
  const FILE_LINE = /^(.*):(\d+)$/;
  window.addEventListener(
    'mousedown',
    ev => {
      if (!(ev.ctrlKey || ev.metaKey) || ev.button !== 0) return;
      if (ev.target instanceof Element && ev.target.closest('.al-ui')) return;
      const loc = hoveredFrameLocation();
      if (!loc) return;
      post({ type: 'open', file: loc.file, line: loc.line, toSide: ev.altKey });
    },
    true,
  );
  function hoveredFrameLocation() {
    // The hover tip: a <span> with the weight, the frame name, then <div>file:line</div>.
    for (const div of document.querySelectorAll('body > div:not(.al-ui) div > div')) {
      const prev = div.previousSibling;
      if (
        !div.parentElement ||
        !div.parentElement.firstElementChild ||
        div.parentElement.firstElementChild.tagName !== 'SPAN'
      )
        continue;
      if (div.childElementCount !== 0 || !prev) continue;
      const m = FILE_LINE.exec(div.textContent || '');
      if (m && (m[1].startsWith('/') || /^[A-Za-z]:[\\/]/.test(m[1])))
        return { file: m[1], line: Number(m[2]) };
    }
    return null;
  }

  // 7. Theme changes: speedscope reads its scheme once, so the host reloads the page.
  new MutationObserver(() => {
    const d = isDarkTheme();
    if (d === dark) return;
    dark = d;
    try {
      window.localStorage.setItem(SCHEME_KEY, dark ? 'DARK' : 'LIGHT');
    } catch (e) {
      // ignore
    }
    post({ type: 'theme', dark });
  }).observe(document.body, { attributes: true, attributeFilter: ['class'] });

  // Ready for the profile now, before speedscope's bundle (480 KB) runs: the host's answer travels
  // while it loads and mounts, and is kept until speedscope can take it (onSpeedscopeReady). With
  // the bundle first, that round trip came after the mount (133-248 ms in the e2e, load 6-10).
  post({ type: 'ready' });
  setTimeout(loadSpeedscope, 0);

  function showMessage(text) {
    const bar = document.getElementById('al-toolbar');
    const m = el('span', 'al-error');
    m.textContent = text;
    bar.appendChild(m);
  }

  function el(tag, cls) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    return e;
  }
})();
