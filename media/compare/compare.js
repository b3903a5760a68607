// The comparison page: fills the live column from the extension's messages (see
// src/core/compare/protocol.ts for their shapes). Text goes in through textContent only.
(function () {
  'use strict';
  const vscode = acquireVsCodeApi();
  const state = vscode.getState() || {};
  const hostSelect = document.getElementById('host');
  const status = document.getElementById('status');
  const glance = document.getElementById('glance');
  const probeText = document.getElementById('probe-text');
  const probeRun = document.getElementById('probe-run');
  const fleet = document.getElementById('fleet');
  let currentHost = state.hostKey;

  function el(tag, props, children) {
    const node = document.createElement(tag);
    Object.assign(node, props || {});
    for (const child of children || []) {
      node.append(child);
    }
    return node;
  }

  function measuring() {
    return el('span', { className: 'measuring', textContent: 'measuring…' });
  }

  function showFigure(cell, figure) {
    cell.replaceChildren();
    cell.dataset.state = figure.state;
    if (figure.state === 'measuring') {
      cell.append(measuring());
    } else if (figure.state === 'value') {
      cell.append(el('span', { className: 'figure', textContent: figure.text }));
      if (figure.detail) {
        cell.append(el('span', { className: 'detail', textContent: figure.detail }));
      }
    } else {
      cell.append(el('span', { className: 'unavailable', textContent: 'Not measured: ' + figure.reason }));
    }
  }

  const GLANCE_COLUMNS = [
    ['root', 'Root user', 'notRoot'],
    ['privileged', 'Privileged', 'fewCapabilities'],
    ['hostNetwork', 'Host network', 'fewCapabilities'],
    ['dockerSocket', 'Docker socket', 'notRoot'],
    ['addedCapabilities', 'Added capabilities', 'fewCapabilities'],
  ];

  function showGlance(g) {
    glance.replaceChildren();
    if (g.state === 'measuring') {
      glance.append(measuring());
      return;
    }
    if (g.state === 'unavailable') {
      glance.append(el('p', { className: 'unavailable', textContent: 'Not measured: ' + g.reason }));
      return;
    }
    if (!g.containers.length) {
      glance.append(el('p', { textContent: 'No containers on this host.' }));
      return;
    }
    const head = el('tr', {}, [el('th', { scope: 'col', textContent: 'Container' })]);
    for (const [, title, advice] of GLANCE_COLUMNS) {
      head.append(el('th', { scope: 'col' }, [el('a', { href: '#advice-' + advice, textContent: title })]));
    }
    const body = el('tbody');
    for (const c of g.containers) {
      const row = el('tr', {}, [el('th', { scope: 'row', textContent: c.name })]);
      for (const [key] of GLANCE_COLUMNS) {
        const v = c[key];
        const flagged = Array.isArray(v) ? v.length > 0 : v;
        row.append(el('td', { className: flagged ? 'flagged' : '', textContent: Array.isArray(v) ? v.join(', ') || 'none' : v ? 'yes' : 'no' }));
      }
      body.append(row);
    }
    const table = el('table', { id: 'glance-table' }, [
      el('caption', { textContent: 'What each container on this host is allowed; each heading links to the advice' }),
      el('thead', {}, [head]),
      body,
    ]);
    glance.append(el('div', { className: 'table-wrap', tabIndex: 0, role: 'region', ariaLabel: 'Security glance' }, [table]));
  }

  function showProbe(p) {
    probeRun.hidden = p.state !== 'offer';
    probeRun.disabled = false;
    if (p.state === 'offer') {
      probeText.textContent =
        'Measure how long a container takes to start on this host: the extension creates and starts a throwaway container from ' +
        p.image +
        ' (' +
        p.size +
        ', already on the host), without network, then removes it.';
      probeRun.textContent = 'Start a throwaway container from ' + p.image;
    } else if (p.state === 'running') {
      probeText.replaceChildren(measuring());
    } else {
      probeText.replaceChildren(el('span', { className: 'unavailable', textContent: 'Cannot measure here: ' + p.reason }));
    }
  }

  function showHosts(hosts, selected) {
    hostSelect.replaceChildren(
      ...hosts.map((h) => el('option', { value: h.key, textContent: h.label + (h.description ? ' — ' + h.description : '') })),
    );
    hostSelect.disabled = hosts.length === 0;
    if (!hosts.length) {
      hostSelect.append(el('option', { textContent: 'No Docker hosts' }));
      for (const cell of document.querySelectorAll('[data-figure]')) {
        showFigure(cell, { state: 'unavailable', reason: 'There is no host to measure: add one in Other Docker Hosts or sign in to Azure.' });
      }
      showGlance({ state: 'unavailable', reason: 'There is no host to check.' });
      showProbe({ state: 'unavailable', reason: 'There is no host.' });
    }
    if (selected) {
      hostSelect.value = selected;
    }
  }

  window.addEventListener('message', (event) => {
    const m = event.data;
    if (!m || typeof m.type !== 'string') {
      return;
    }
    if (m.hostKey !== undefined && m.type !== 'measuring' && m.hostKey !== currentHost) {
      return;
    }
    switch (m.type) {
      case 'hosts':
        showHosts(m.hosts, m.selected);
        break;
      case 'measuring':
        currentHost = m.hostKey;
        vscode.setState({ hostKey: m.hostKey });
        hostSelect.value = m.hostKey;
        for (const label of document.querySelectorAll('.host-label')) {
          label.textContent = m.label;
        }
        for (const cell of document.querySelectorAll('[data-figure]')) {
          showFigure(cell, { state: 'measuring' });
        }
        showGlance({ state: 'measuring' });
        probeText.replaceChildren(measuring());
        probeRun.hidden = true;
        break;
      case 'figure': {
        const cell = document.querySelector('[data-figure="' + m.topic + '"]');
        if (cell) {
          showFigure(cell, m.figure);
        }
        break;
      }
      case 'glance':
        showGlance(m.glance);
        break;
      case 'probe':
        showProbe(m.probe);
        break;
      case 'copied':
        status.textContent = 'Copied the table as Markdown.';
        break;
      case 'fleet':
        fleet.textContent = m.text;
        break;
    }
  });

  hostSelect.addEventListener('change', () => {
    status.textContent = '';
    vscode.postMessage({ type: 'pickHost', hostKey: hostSelect.value });
  });
  document.getElementById('copy').addEventListener('click', () => {
    status.textContent = '';
    vscode.postMessage({ type: 'copyMarkdown' });
  });
  for (const button of document.querySelectorAll('[data-scale-out]')) {
    button.addEventListener('click', () => vscode.postMessage({ type: 'scaleOut', action: button.dataset.scaleOut }));
  }
  probeRun.addEventListener('click', () => {
    probeRun.disabled = true;
    vscode.postMessage({ type: 'measureStart', hostKey: currentHost });
  });
  // The advice sections take focus when a link jumps to them, so keyboard users land there too.
  document.addEventListener('click', (event) => {
    const link = event.target.closest && event.target.closest('a[href^="#advice-"]');
    if (link) {
      const target = document.getElementById(link.getAttribute('href').slice(1));
      if (target) {
        event.preventDefault();
        target.scrollIntoView({ block: 'start' });
        target.focus();
      }
    }
  });

  vscode.postMessage({ type: 'ready', hostKey: state.hostKey });
})();
