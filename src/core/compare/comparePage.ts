/**
 * The comparison page's HTML. The facts are rendered here, once; the page script only fills the
 * live column, the host picker and the security glance from messages.
 */
import { COMPARISON_ROWS, GOOD_FOR, SECURITY_ADVICE } from './comparisonFacts';
import { LANDSCAPE, SCALE_OUT_STEPS } from './scaleOutFacts';

export interface PageResources {
  /** `webview.cspSource`: the only origin styles and the script may come from. */
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUri: string;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [`default-src 'none'`, `style-src ${cspSource}`, `img-src ${cspSource}`, `font-src ${cspSource}`, `script-src 'nonce-${nonce}'`].join('; ');
}

const MEASURING = '<span class="measuring">measuring…</span>';

function rows(): string {
  return COMPARISON_ROWS.map((r) => {
    const sources = r.sources.map((s) => `${s.doc}:${s.feature}`).join('|');
    const advice = r.advice ? ` <a class="advice-link" href="#advice-${r.advice}">Security advice</a>` : '';
    return `
        <tr id="row-${r.key}" data-topic="${r.key}" data-sources="${escapeHtml(sources)}">
          <th scope="row">${escapeHtml(r.topic)}</th>
          <td data-label="Virtual machines">${escapeHtml(r.vm)}</td>
          <td data-label="Containers">${escapeHtml(r.container)}${advice}</td>
          <td class="live" data-label="Measured" data-figure="${r.key}" aria-live="polite">${MEASURING}</td>
        </tr>`;
  }).join('');
}

const list = (items: readonly string[]) => `<ul>${items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>`;

function scaleOut(): string {
  const steps = SCALE_OUT_STEPS.map(
    (s) => `
        <section aria-labelledby="scale-${s.key}">
          <h3 id="scale-${s.key}">${escapeHtml(s.title)}</h3>
          ${list(s.signs)}
        </section>`,
  ).join('');
  const tools = LANDSCAPE.map(
    (t) => `
            <tr data-historical="${t.historical}">
              <th scope="row">${escapeHtml(t.name)}</th>
              <td data-label="Then">${escapeHtml(t.then)}</td>
              <td data-label="Today">${escapeHtml(t.today)}</td>
            </tr>`,
  ).join('');
  return `
    <section id="scale-out" aria-labelledby="scale-out-title">
      <h2 id="scale-out-title">When one host is not enough</h2>
      <p id="fleet" aria-live="polite">${MEASURING}</p>
      <div class="toolbar">
        <button type="button" data-scale-out="createSwarm">Create Swarm from Hosts…</button>
        <button type="button" data-scale-out="showSwarms">Show Swarms</button>
      </div>
      <div class="scale-steps">${steps}
      </div>
      <div class="table-wrap" role="region" aria-labelledby="landscape-caption" tabindex="0">
        <table id="landscape">
          <caption id="landscape-caption">The tools the overview lists for groups of VMs and containers, then and today</caption>
          <thead>
            <tr><th scope="col">Tool</th><th scope="col">Then</th><th scope="col">Today</th></tr>
          </thead>
          <tbody>${tools}
          </tbody>
        </table>
      </div>
    </section>`;
}

export function renderComparePage(res: PageResources): string {
  const advice = SECURITY_ADVICE.map(
    (a) => `
      <section class="advice" id="advice-${a.key}" tabindex="-1" aria-labelledby="advice-${a.key}-title">
        <h3 id="advice-${a.key}-title">${escapeHtml(a.title)}</h3>
        <p>${escapeHtml(a.text)}</p>
      </section>`,
  ).join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(res.cspSource, res.nonce)}">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="stylesheet" href="${escapeHtml(res.styleUri)}">
  <title>Compare VMs and Containers</title>
</head>
<body>
  <main>
    <h1>Virtual machines and containers</h1>
    <p class="intro">Where should a workload run? Containers run on a VM's kernel; they do not replace VMs. The table sets out how the two differ by default — extra work changes the picture, above all for security — next to figures measured on a host of yours.</p>
    <div class="toolbar">
      <label for="host">Measure on</label>
      <select id="host" disabled><option>Finding hosts…</option></select>
      <button id="copy" type="button">Copy as Markdown</button>
      <span id="status" role="status" aria-live="polite"></span>
    </div>
    <div class="table-wrap" role="region" aria-labelledby="comparison-caption" tabindex="0">
      <table id="comparison">
        <caption id="comparison-caption">Virtual machines and containers compared, with figures measured on <span class="host-label">your host</span></caption>
        <thead>
          <tr>
            <th scope="col">Topic</th>
            <th scope="col">Virtual machines</th>
            <th scope="col">Containers</th>
            <th scope="col">Measured on <span class="host-label">your host</span></th>
          </tr>
        </thead>
        <tbody>${rows()}
        </tbody>
      </table>
    </div>
    <section id="probe" aria-labelledby="probe-title">
      <h2 id="probe-title">Container start-up, measured</h2>
      <p id="probe-text">${MEASURING}</p>
      <button id="probe-run" type="button" hidden>Start a throwaway container</button>
    </section>
    <section aria-labelledby="glance-title">
      <h2 id="glance-title">Security glance</h2>
      <div id="glance" aria-live="polite">${MEASURING}</div>
    </section>
    <div class="good-for">
      <section aria-labelledby="good-containers">
        <h2 id="good-containers">Containers are good for</h2>
        ${list(GOOD_FOR.containers)}
      </section>
      <section aria-labelledby="good-vms">
        <h2 id="good-vms">VMs are good for</h2>
        ${list(GOOD_FOR.vms)}
      </section>
    </div>${scaleOut()}
    <section id="advice" aria-labelledby="advice-title">
      <h2 id="advice-title">Security advice for containers</h2>${advice}
    </section>
    <p class="sources">Based on Microsoft's "Containers and VMs on Azure" overview and "Docker VM Extension for Linux on Azure" article, in our own words.</p>
  </main>
  <script nonce="${res.nonce}" src="${escapeHtml(res.scriptUri)}"></script>
</body>
</html>
`;
}
