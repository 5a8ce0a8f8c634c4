// The ClusterSet forms: "New ClusterSet" (a leader, members and their gateway nodes, the
// set's Antrea settings) and "Join" (a cluster and its gateway nodes). Only clusters that
// may be in a set are offered; the server checks the rest (Antrea, CIDRs, names) and its
// field errors land at the cluster's row ("members[1]", "gateways.east") or input.
import { enc, post } from '../api.js';
import { el, replace } from '../dom.js';
import { errorSlot, field, selectField, submitForm } from '../forms.js';
import { go } from '../nav.js';

/** setCandidates lists the clusters that may form or join a set, by name: Ready and in
 *  no ClusterSet. */
export function setCandidates(clusters) {
  return (clusters || []).filter((c) => c.phase === 'Ready' && !c.clusterset)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** clusterSetBody builds the body of POST /clustersets from the form's choices: the
 *  members without the leader (who is always one), gateway nodes only for the set's
 *  clusters that have some chosen, and the failure policy only when given. */
export function clusterSetBody(choice) {
  const members = (choice.members || []).filter((m) => m !== choice.leader);
  const inSet = new Set([choice.leader, ...members]);
  const gateways = {};
  for (const [cluster, nodes] of Object.entries(choice.gateways || {})) {
    if (inSet.has(cluster) && nodes.length) gateways[cluster] = nodes;
  }
  const body = {
    name: choice.name, leader: choice.leader, members,
    gateway_ip_precedence: choice.gateway_ip_precedence, endpoint_ip_type: choice.endpoint_ip_type,
  };
  if (Object.keys(gateways).length) body.gateways = gateways;
  if (choice.on_failure) body.on_failure = choice.on_failure;
  if (choice.decision_timeout) body.decision_timeout = choice.decision_timeout;
  return body;
}

/** joinBody builds the body of POST /clustersets/{name}/members. */
export function joinBody(cluster, gateways) {
  return gateways && gateways.length ? { cluster, gateways } : { cluster };
}

/** gatewayPicks is a checkbox per node of a cluster, to choose its gateway candidates;
 *  errors on errorField show below them. */
function gatewayPicks(cluster, errorField) {
  const nodes = (cluster && cluster.nodes) || [];
  return el('div', { class: 'field gateway-picks', 'data-field': errorField },
    el('span', { class: 'pick-label' }, 'Gateway nodes'),
    nodes.length
      ? el('div', { class: 'picks' }, nodes.map((n) => el('label', { class: 'pick' },
        el('input', { type: 'checkbox', class: 'gw-pick', value: n.name }), ` ${n.name}`,
        n.role === 'control-plane' ? el('span', { class: 'muted' }, ' (control plane)') : '')))
      : el('span', { class: 'muted' }, 'no node recorded'),
    el('small', { class: 'hint' }, 'optional; none chosen: Clusterwright picks two Ready nodes'),
    el('div', { class: 'field-error' }));
}

/** checkedNodes lists the gateway nodes ticked inside node. */
function checkedNodes(node) {
  return [...node.querySelectorAll('input.gw-pick:checked')].map((i) => i.value);
}

/** newClusterSetForm posts a ClusterSet made of candidate clusters and opens the
 *  clusterset.form operation. */
export function newClusterSetForm(candidates) {
  const leader = selectField('Leader', 'leader',
    [['', candidates.length ? 'choose…' : 'no Ready cluster outside a set']].concat(candidates.map((c) => [c.name, c.name])),
    '', 'runs the leader controller; it is a member too');
  const rows = candidates.map((c) => memberRow(c));
  const form = el('form', { class: 'card clusterset-form', novalidate: true },
    el('h2', {}, 'New ClusterSet'),
    el('fieldset', {}, el('legend', {}, 'ClusterSet'),
      el('div', { class: 'grid' },
        field('Name', 'name', { placeholder: 'lab', required: true, autocomplete: 'off' }, "the Antrea ClusterSet ID: lower-case letters, digits and dashes"),
        leader)),
    el('fieldset', {}, el('legend', {}, 'Members'),
      candidates.length
        ? el('p', { class: 'muted' }, 'Ready clusters that are in no ClusterSet. Tick the members; the leader is always one.')
        : el('p', { class: 'empty' }, 'No Ready cluster is outside a ClusterSet.'),
      el('div', { class: 'member-rows' }, rows.map((r) => r.node)),
      errorSlot('members'), errorSlot('gateways')),
    el('fieldset', {}, el('legend', {}, 'Antrea Multi-cluster'),
      el('div', { class: 'grid' },
        selectField('Gateway IP precedence', 'gateway_ip_precedence', [['private', 'private (default)'], ['public', 'public']], 'private',
          "which of a gateway node's addresses the tunnels use"),
        selectField('Endpoint IP type', 'endpoint_ip_type', [['ClusterIP', 'ClusterIP (default)'], ['PodIP', 'PodIP']], 'ClusterIP',
          'what exported Services resolve to in other members'))),
    el('fieldset', {}, el('legend', {}, 'When a step fails'),
      el('div', { class: 'grid' },
        selectField('On failure', 'on_failure', [['', 'wait for a decision'], ['compensate', 'undo at once']], ''),
        field('Decision timeout', 'decision_timeout', { placeholder: '24h', autocomplete: 'off' }, "e.g. 30m or 8h; empty for the server's default"))),
    el('div', { class: 'form-error' }),
    el('div', { class: 'actions' }, el('button', { type: 'submit', class: 'primary' }, 'Form ClusterSet')));
  const leaderSelect = leader.querySelector('select');
  const markLeader = () => rows.forEach((r) => r.setLeader(r.name === leaderSelect.value));
  leaderSelect.addEventListener('change', markLeader);
  markLeader();
  return submitForm(form, (values) => {
    const choice = Object.assign({}, values, {
      members: rows.filter((r) => r.picked()).map((r) => r.name),
      gateways: Object.fromEntries(rows.map((r) => [r.name, r.gateways()])),
    });
    const body = clusterSetBody(choice);
    // A 422 names a member by its index in the body: each row takes its field name.
    rows.forEach((r) => r.nameField(body.members.indexOf(r.name)));
    return post('/clustersets', body);
  }, (reply) => go('/operations/' + enc(reply.operation.id)));
}

/** memberRow is one candidate cluster of the new-set form: a tick to make it a member
 *  (ticked and fixed for the leader) and its gateway nodes, shown while it is in the set. */
function memberRow(cluster) {
  const id = 'cs-member-' + cluster.name;
  const pick = el('input', { type: 'checkbox', id, class: 'member-pick', value: cluster.name });
  const role = el('span', { class: 'muted' });
  const slot = el('div', { class: 'field check', 'data-field': '' },
    pick, el('label', { for: id }, cluster.name), role, el('div', { class: 'field-error' }));
  const gateways = gatewayPicks(cluster, 'gateways.' + cluster.name);
  const node = el('div', { class: 'member-row', 'data-cluster': cluster.name }, slot, gateways);
  let leader = false;
  let ticked = false; // the member's tick while it is the leader (whose tick is fixed)
  const showGateways = () => { gateways.hidden = !(leader || pick.checked); };
  pick.addEventListener('change', showGateways);
  showGateways();
  return {
    name: cluster.name,
    node,
    picked: () => leader || pick.checked,
    gateways: () => (leader || pick.checked ? checkedNodes(gateways) : []),
    setLeader(on) {
      if (on === leader) return;
      if (on) ticked = pick.checked;
      leader = on;
      pick.checked = on || ticked;
      pick.disabled = on;
      replace(role, on ? 'leader' : '');
      showGateways();
    },
    nameField(index) { slot.dataset.field = index >= 0 ? `members[${index}]` : ''; },
  };
}

/** joinForm posts a cluster (and its chosen gateway nodes) to join set setName and opens
 *  the clusterset.join operation. */
export function joinForm(setName, candidates) {
  const cluster = selectField('Cluster', 'cluster',
    [['', candidates.length ? 'choose…' : 'no Ready cluster outside a set']].concat(candidates.map((c) => [c.name, c.name])), '');
  const picks = el('div', {});
  const form = el('form', { class: 'card join-form', novalidate: true },
    el('h2', {}, `Join a cluster to ${setName}`),
    el('div', { class: 'grid' }, cluster, picks),
    el('div', { class: 'form-error' }),
    el('div', { class: 'actions' }, el('button', { type: 'submit', class: 'primary' }, 'Join')));
  const select = cluster.querySelector('select');
  const showPicks = () => {
    const c = candidates.find((x) => x.name === select.value);
    replace(picks, c ? gatewayPicks(c, 'gateways') : '');
  };
  select.addEventListener('change', showPicks);
  return submitForm(form, (values) => post(`/clustersets/${enc(setName)}/members`, joinBody(values.cluster, checkedNodes(picks))),
    (reply) => go('/operations/' + enc(reply.operation.id)));
}
